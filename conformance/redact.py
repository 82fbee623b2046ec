"""Keep secrets out of everything the suite writes: reports, logs, terminal, exceptions."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "<redacted>"
SECRET_HEADERS = ("authorization", "x-oss-security-token", "x-amz-security-token")


# Signature material in headers, query strings, POST forms and error bodies, for OSS V1/V4
# and AWS SigV2/SigV4: one pattern, so a string is scanned once (every string of every record
# passes here). Each alternative keeps its first group (the label) and replaces what follows
# it. The lookahead on the first letters lets the scan skip most positions (3x faster on a
# record's worth of text).
_SIGNATURE = re.compile(
    r"(?i)(?=[aosx?&])(?:"
    r"(authorization\s*[:=]\s*)[^\r\n\"']+"
    # a POST form's signature field (S3 x-amz-signature, OSS Signature / x-oss-signature)
    r"|((?<=name=\")(?:x-amz-signature|x-oss-signature|signature)\"\r?\n\r?\n)[^\r\n]+"
    # the signature an error answer echoes (S3 and OSS SignatureDoesNotMatch)
    r"|((?<=<)SignatureProvided>)[^<]+"
    r"|((?:OSS4|AWS4)-HMAC-SHA256 )Credential=[^\r\n\"']+"
    r"|([?&](?:x-oss-signature|x-amz-signature|security-token|"
    r"x-oss-security-token|x-amz-security-token)=)[^&\s\"']+"
    r"|(signature\s*=\s*)[0-9a-zA-Z%/+=]+"
    r"|((?:OSS|AWS)\s+[^:\s]+:)[0-9a-zA-Z/+=]+)")


def _keep_label(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g is not None) + REDACTED


class Redactor:
    """Replaces known secret strings and any signature material with <redacted>."""

    _MEMO_LIMIT, _MEMO_TEXT = 8192, 256  # entries kept; longest text remembered

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        # Most strings of a record recur item after item (header names and values, check
        # subjects, levels): remembering short ones makes them a dict lookup.
        self._memo: dict[str, str] = {}

    def add(self, secret: str) -> None:
        """Also redact this string from now on."""
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)
            self._memo.clear()

    def __call__(self, text: str) -> str:
        """`text` with every secret and signature replaced."""
        known = self._memo.get(text)
        if known is not None:
            return known
        clean = text
        for secret in self._secrets:
            if secret in clean:
                clean = clean.replace(secret, REDACTED)
        clean = _SIGNATURE.sub(_keep_label, clean)
        if len(text) <= self._MEMO_TEXT:
            if len(self._memo) >= self._MEMO_LIMIT:
                self._memo.clear()
            self._memo[text] = clean
        return clean

    def header(self, name: str, value: str) -> str:
        """A header line's value: none at all for credentials, else redacted like any text."""
        return REDACTED if name.lower() in SECRET_HEADERS else self(value)
