"""Keep secrets out of everything the suite writes: reports, logs, terminal, exceptions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

REDACTED = "<redacted>"
SECRET_HEADERS = ("authorization", "x-oss-security-token", "x-amz-security-token")


def _signature_pattern(stop: str) -> re.Pattern[str]:
    """Signature material in headers and query strings, for OSS V1/V4 and AWS SigV4.

    One pattern, so a text is scanned once. Each alternative keeps its first group (the
    label) and replaces what follows; `stop` adds characters a replaced value never crosses.
    """
    return re.compile(
        rf"(?i)(authorization\s*[:=]\s*)[^\r\n\"'{stop}]+"
        rf"|((?:OSS4|AWS4)-HMAC-SHA256 )Credential=[^\r\n\"'{stop}]+"
        r"|([?&](?:x-oss-signature|x-amz-signature|security-token|"
        rf"x-oss-security-token|x-amz-security-token)=)[^&\s\"'{stop}]+"
        r"|(signature\s*=\s*)[0-9a-zA-Z%/+=]+"
        r"|((?:OSS|AWS)\s+[^:\s]+:)[0-9a-zA-Z/+=]+")


_SIGNATURE = _signature_pattern("")
# In JSON text a value also ends at a backslash: line breaks and quotes are escapes there, and
# a replaced span never holds a quote or a backslash, so the text stays valid JSON.
_SIGNATURE_IN_JSON = _signature_pattern(r"\\")
# A header pair as records hold it, ["Authorization", "..."]: the whole value goes.
_SECRET_PAIR_IN_JSON = re.compile(
    r'(?i)(\[\s*"(?:' + "|".join(SECRET_HEADERS) + r')"\s*,\s*")(?:[^"\\]|\\.)*"')


def _keep_label(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g is not None) + REDACTED


class Redactor:
    """Replaces known secret strings and any signature material with <redacted>."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        """Also redact this string from now on."""
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` with every secret and signature replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _SIGNATURE.sub(_keep_label, text)

    def json_text(self, text: str) -> str:
        """JSON text with what `__call__` and `headers` remove from each string removed.

        One pass over a whole record instead of one call per string. A secret is matched as
        JSON writes it; callers must still parse the result (a secret that begins inside an
        escape sequence could break it) and fall back to string-by-string redaction.
        """
        for secret in self._secrets:
            escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
            if escaped in text:
                text = text.replace(escaped, REDACTED)
        text = _SECRET_PAIR_IN_JSON.sub(lambda m: m.group(1) + REDACTED + '"', text)
        return _SIGNATURE_IN_JSON.sub(_keep_label, text)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Header pairs with Authorization values and secrets removed."""
        out = []
        for name, value in headers:
            if name.lower() in SECRET_HEADERS:
                value = REDACTED
            out.append((name, self(value)))
        return out
