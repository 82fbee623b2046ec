"""Clones with the web-app bugs of issue 13, each one bug, in front of the reference.

Every double is an EdgeProxy (tests.doubles.edge_doubles): `edge` hooks see a request before
it is forwarded, `mutate` hooks rewrite the reference's answer to any method
(only_options=False). What each imitates:

* ``reject_signed_preflight``: the signature in a presigned URL is checked on the OPTIONS that
  precedes the upload, and fails (ceph/ceph#55458, minio/minio#9993, gaul/s3proxy#411).
* ``drop_cors_on_writes``: no CORS header on PUT, POST and DELETE answers (getmoto/moto#6371,
  garage#609, rustfs review #1496); GET and HEAD keep theirs.
* ``drop_cors_on_errors``: no CORS header on 4xx/5xx answers (scality/cloudserver#6126).
* ``expose_etag_always``: every grant exposes ETag, whatever the rule says (versitygw#1893).
* ``drop_vary``: no Vary header on any answer (seaweedfs#7544).
* ``SignatureLog``: no bug; records every signature that crossed the wire (the canary).
"""

from __future__ import annotations

import re
import threading
from email.message import Message
from urllib.parse import parse_qsl, urlsplit

from tests.doubles.servers import Headers

Answer = tuple[int, Headers, bytes]

_QUERY_SIGNATURES = {"x-amz-signature", "signature", "x-oss-signature"}
_MISMATCH = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
             b"<Message>The request signature we calculated does not match the signature you "
             b"provided.</Message></Error>")


def _signed_query(path: str) -> bool:
    return any(k.lower() in _QUERY_SIGNATURES for k, _ in parse_qsl(urlsplit(path).query))


def reject_signed_preflight(method: str, path: str, headers: Message,
                            body: bytes) -> Answer | None:
    """Answer an OPTIONS whose URL carries a signature as a signature mismatch."""
    if method == "OPTIONS" and _signed_query(path):
        return 403, [("Content-Type", "application/xml")], _MISMATCH
    return None


def _without_cors(headers: Headers) -> Headers:
    return [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]


def drop_cors_on_writes(method: str, path: str, status: int, headers: Headers,
                        body: bytes) -> Answer:
    """PUT, POST and DELETE answers lose every Access-Control-* header."""
    if method in ("PUT", "POST", "DELETE"):
        return status, _without_cors(headers), body
    return status, headers, body


def drop_cors_on_errors(method: str, path: str, status: int, headers: Headers,
                        body: bytes) -> Answer:
    """Error answers to actual requests lose every Access-Control-* header."""
    if method != "OPTIONS" and status >= 400:
        return status, _without_cors(headers), body
    return status, headers, body


def expose_etag_always(method: str, path: str, status: int, headers: Headers,
                       body: bytes) -> Answer:
    """Every granted actual answer exposes ETag, configured or not."""
    names = {k.lower() for k, _ in headers}
    if method == "OPTIONS" or "access-control-allow-origin" not in names:
        return status, headers, body
    if "access-control-expose-headers" in names:
        return status, headers, body
    return status, [*headers, ("Access-Control-Expose-Headers", "ETag")], body


def drop_vary(method: str, path: str, status: int, headers: Headers, body: bytes) -> Answer:
    """No answer carries Vary."""
    return status, [(k, v) for k, v in headers if k.lower() != "vary"], body


class SignatureLog:
    """An `edge` hook that forwards everything and keeps each signature it saw."""

    _AUTH = re.compile(r"Signature=([0-9a-fA-F]{16,})|(?:OSS|AWS) [^:\s]+:(\S+)")
    _FORM = re.compile(rb'name="(?:x-amz-signature|signature)"\r\n\r\n([^\r\n]+)', re.I)

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, method: str, path: str, headers: Message, body: bytes) -> None:
        """Record, never answer."""
        found = [v for k, v in parse_qsl(urlsplit(path).query)
                 if k.lower() in _QUERY_SIGNATURES]
        for match in self._AUTH.finditer(headers.get("Authorization") or ""):
            found += [g for g in match.groups() if g]
        found += [m.decode() for m in self._FORM.findall(body or b"")]
        with self._lock:
            self.seen.update(s for s in found if len(s) >= 16)
