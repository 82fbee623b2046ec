"""The small interface every wire dialect implements, and what it records."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Protocol

from ..cases.model import CorsConfig
from ..exchange import Exchange


@dataclass(frozen=True)
class CallResult:
    """Outcome of one management call: status, error code, and the exchanges it took."""

    status: int
    code: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """2xx."""
        return 200 <= self.status < 300


def content_md5_header(body: bytes, mode: str) -> str | None:
    """The Content-MD5 value to send for `body`: auto (correct), omit (None), or literal."""
    if mode == "omit":
        return None
    if mode == "auto":
        return base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - protocol
    return mode


def pad_body(body: bytes, size: int | None) -> bytes:
    """Grow an XML body to `size` bytes with a comment before its last closing tag."""
    if not size or len(body) >= size:
        return body
    cut = body.rfind(b"</")
    cut = len(body) if cut < 0 else cut
    filler = size - len(body) - len(b"<!---->")
    return body[:cut] + b"<!--" + b"x" * max(filler, 0) + b"-->" + body[cut:]


class Dialect(Protocol):
    """Bucket and CORS management in one wire dialect (signed by a maintained SDK)."""

    name: str
    log: list[Exchange]  # every management exchange, in order, for the report

    def create_bucket(self, bucket: str) -> CallResult:
        """Create a bucket (private)."""
        ...

    def delete_bucket(self, bucket: str) -> CallResult:
        """Delete an empty bucket."""
        ...

    def put_cors(self, bucket: str, config: CorsConfig) -> CallResult:
        """PutBucketCors with exactly this configuration."""
        ...

    def put_cors_raw(self, bucket: str, body: bytes, content_md5: str = "auto",
                     content_type: str | None = None) -> CallResult:
        """PutBucketCors with a raw body (malformed or out-of-range configurations).

        `content_md5`: "auto" the right digest, "omit" none, anything else sent as is;
        `content_type`: None for application/xml.
        """
        ...

    def get_cors(self, bucket: str) -> tuple[CallResult, CorsConfig | None]:
        """GetBucketCors; the configuration, or None when there is none."""
        ...

    def get_cors_raw(self, bucket: str) -> tuple[CallResult, bytes | None]:
        """GetBucketCors as the target sent it: the body's bytes, or None on an error answer.

        What a restore saves and compares: the parsed model drops elements (rule IDs).
        """
        ...

    def delete_cors(self, bucket: str) -> CallResult:
        """DeleteBucketCors."""
        ...

    def put_object(self, bucket: str, key: str, data: bytes) -> CallResult:
        """PutObject."""
        ...

    def delete_object(self, bucket: str, key: str) -> CallResult:
        """DeleteObject."""
        ...

    def list_buckets(self, prefix: str) -> tuple[CallResult, list[str]]:
        """Names of the caller's buckets starting with `prefix` (every page)."""
        ...

    def list_objects(self, bucket: str) -> tuple[CallResult, list[str]]:
        """Every key in `bucket` (every page)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
