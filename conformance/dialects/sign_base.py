"""What a dialect's request signer is given and gives back (s3_sign.py, oss_sign.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..cases.model import Signing

# Sign with this instead of the target's secret for `wrong_secret`: a well-formed signature
# the target cannot match. Never the real secret, so nothing here needs redacting.
WRONG_SECRET = "oss-cors-conformance-not-the-secret"  # noqa: S105 - deliberately wrong
# How far in the past an `expired` signature is made: beyond any expiry and the 15-minute skew.
EXPIRED_BY_S = 3600


@dataclass(frozen=True)
class ToSign:
    """One request to sign: the URL it goes to and the headers the signature must cover."""

    method: str
    url: str  # absolute, the query (if any) included
    bucket: str
    key: str | None  # the object key, unquoted; None for a bucket-level request
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class Signed:
    """The signed request: its URL (a presigned one carries the signature) and headers."""

    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None  # a form upload's body, when the signature lives in it
    content_type: str | None = None


class RequestSigner(Protocol):
    """Signs requests with the target's credentials, by the dialect's SDK."""

    name: str

    def sign(self, request: ToSign, how: Signing) -> Signed:
        """Sign `request` as `how` asks (header, query or form; version; expired; secret)."""
        ...

    def acl_header(self) -> str:
        """The canned-ACL header of the dialect."""
        ...

    def copy_header(self) -> str:
        """The CopyObject source header of the dialect."""
        ...
