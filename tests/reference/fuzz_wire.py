"""Frame, sign and send a drawn RawRequest over a real socket; check the answer's shape.

Signing uses the reference's own OSS signing functions and botocore's S3 signers (SigV4 and
SigV2), over exactly the headers sent, so garbage passes authentication and reaches the layers
behind it. Checks: a well-formed HTTP answer (http.client parses it), no 500, and an error in
the dialect's shape (OSS: `<Error>` with EC and x-oss-request-id, x-oss-err on HEAD; S3: no EC,
x-amz-request-id and x-amz-id-2, no body on HEAD).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate

from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conformance.reference import ReferenceServer
from conformance.reference.messages import Request, resolve_target, split_query
from conformance.reference.signing import (
    V4_ALGORITHM,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
    v4_string_to_sign,
)

from .fuzz_strategies import AK, RawRequest

SK = "fuzz-secret"
CLIENT_TIMEOUT_S = 20.0


class _PayloadSigV4(S3SigV4Auth):
    """botocore's S3 SigV4 signer with the x-amz-content-sha256 value chosen by the caller."""

    def __init__(self, credentials: Credentials, region: str, payload: str) -> None:
        super().__init__(credentials, "s3", region)
        self._payload = payload

    def payload(self, request: AWSRequest) -> str:  # noqa: D102
        return self._payload


def _value(headers: list[tuple[str, str]], name: str) -> str | None:
    found = [v.strip() for k, v in headers if k.lower() == name.lower()]
    return ", ".join(found) if found else None


def sign(raw: RawRequest, dialect: str, region: str, host: str) -> list[tuple[str, str]]:
    """The headers to send: the drawn ones plus a valid signature when `raw.sign` asks."""
    headers = list(raw.headers)
    if _value(headers, "Host") is None:
        headers.insert(0, ("Host", host))
    if not raw.sign:
        return headers
    if _value(headers, "Content-MD5") is None and raw.body:
        digest = hashlib.md5(raw.body, usedforsecurity=False).digest()
        headers.append(("Content-MD5", base64.b64encode(digest).decode()))
    query = "&".join(f"{k}={v}" for k, v in raw.query)
    now = time.time()
    if dialect == "oss":
        return _sign_oss(raw, headers, query, region, now)
    return _sign_s3(raw, headers, query, region, now)


def _sign_oss(raw: RawRequest, headers: list[tuple[str, str]], query: str, region: str,
              now: float) -> list[tuple[str, str]]:
    if raw.sign == "v1":
        headers.append(("Date", formatdate(now, usegmt=True)))
    else:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        headers += [("x-oss-date", stamp), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD")]
    bucket, key = resolve_target(_value(headers, "Host") or "", raw.path)
    inp = Request(raw.method, raw.path, split_query(query), tuple(headers), raw.body, bucket,
                  key).signing_input()
    if raw.sign == "v1":
        signature = v1_signature(SK, v1_string_to_sign(inp))
        return [*headers, ("Authorization", f"OSS {AK}:{signature}")]
    stamp = inp.headers.get("x-oss-date", "")
    scope = f"{stamp[:8]}/{region}/oss/aliyun_v4_request"
    string_to_sign = v4_string_to_sign(stamp, scope, v4_canonical_request(inp))
    signature = v4_signature(SK, stamp[:8], region, "oss", string_to_sign)
    return [*headers, ("Authorization",
                       f"{V4_ALGORITHM} Credential={AK}/{scope},Signature={signature}")]


def _sign_s3(raw: RawRequest, headers: list[tuple[str, str]], query: str, region: str,
             now: float) -> list[tuple[str, str]]:
    host = _value(headers, "Host") or ""
    url = f"http://{host}{raw.path}" + (f"?{query}" if query else "")
    signed = {k: v for k, v in headers if k.lower() in ("content-md5", "content-type")}
    credentials = Credentials(AK, SK)
    try:
        if raw.sign == "v1":
            signed["Date"] = formatdate(now, usegmt=True)
            aws = AWSRequest(method=raw.method, url=url, headers=signed)
            HmacV1Auth(credentials).add_auth(aws)
        else:
            payload = _value(headers, "x-amz-content-sha256") or "UNSIGNED-PAYLOAD"
            signed.pop("x-amz-content-sha256", None)
            aws = AWSRequest(method=raw.method, url=url, headers=signed)
            _PayloadSigV4(credentials, region, payload).add_auth(aws)
    except (ValueError, TypeError, AttributeError):
        # A Host botocore cannot sign: a well-formed, timely header with a wrong signature
        # still takes the request as far as the server's own signature computation.
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        scope = f"{AK}/{stamp[:8]}/{region}/s3/aws4_request"
        return [*headers, ("x-amz-date", stamp), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                ("Authorization", f"AWS4-HMAC-SHA256 Credential={scope}, "
                                  "SignedHeaders=host;x-amz-date, Signature=00")]
    sent = {k.lower() for k, _ in headers}
    return headers + [(k, v) for k, v in aws.headers.items() if k.lower() not in sent
                      or k.lower() in ("authorization", "x-amz-date", "date")]


def frame(raw: RawRequest, headers: list[tuple[str, str]]) -> bytes:
    """The request on the wire: request line, header lines and the body in its framing."""
    target = raw.path + ("?" + "&".join(f"{k}={v}" for k, v in raw.query) if raw.query else "")
    body, extra = raw.body, []
    if raw.framing == "length":
        extra = [("Content-Length", str(len(body)))]
    elif raw.framing == "short":
        extra = [("Content-Length", str(len(body) + 10))]
    elif raw.framing != "none":
        extra = [("Transfer-Encoding", "chunked")]
        body = _chunks(raw.framing, body)
    lines = [f"{raw.method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers + extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


def _chunks(framing: str, body: bytes) -> bytes:
    if framing == "chunk-negative":
        return b"-1\r\n" + body + b"\r\n0\r\n\r\n"
    if framing == "chunk-unterminated":
        return b"5" * 6000 + body
    if framing == "chunk-garbage":
        return b"zz\r\n" + body
    half = len(body) // 2
    parts = [p for p in (body[:half], body[half:]) if p]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@dataclass
class Answer:
    """What came back, and how long it took."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float
    code: str | None = None  # the error Code, once check_shape has read it


def exchange(port: int, method: str, data: bytes) -> Answer:
    """Send `data`, half-close, and parse one answer strictly (http.client)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered early and stopped reading: its answer is still there
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        body = response.read()
    return Answer(response.status, response.headers, body, time.monotonic() - started)


def check_shape(answer: Answer, dialect: str, raw: RawRequest) -> str | None:
    """The error Code of an error answer, after checking it has the dialect's shape.

    The one 5xx allowed is AWS's 501 NotImplemented for a coding before chunked.
    """
    method = raw.method
    if answer.status >= 500:
        sent = [_value(raw.headers, "Transfer-Encoding") or ""]
        sent += ["chunked"] if raw.framing not in ("length", "short", "none") else []
        codings = [c.strip().lower() for c in ",".join(sent).split(",") if c.strip()]
        assert answer.status == 501 and codings[-1:] == ["chunked"] and len(codings) > 1, answer
        assert _code(answer, dialect, method) in ("NotImplemented", "501"), answer
    if dialect == "oss":
        assert len(answer.headers.get("x-oss-request-id", "")) == 24, answer.headers
    else:
        assert answer.headers.get("x-amz-request-id") and answer.headers.get("x-amz-id-2")
    if answer.status < 400:
        return None
    answer.code = _code(answer, dialect, method)
    return answer.code


def _code(answer: Answer, dialect: str, method: str) -> str:
    body = answer.body
    if method == "HEAD":
        assert body == b""
        if dialect == "s3":
            return str(answer.status)
        body = base64.b64decode(answer.headers["x-oss-err"])
    root = ET.fromstring(body)
    assert root.tag == "Error"
    children = {child.tag: child.text or "" for child in root}
    assert {"Code", "Message", "RequestId", "HostId"} <= children.keys(), children
    assert ("EC" in children) == (dialect == "oss"), children
    return children["Code"]


def send(server: ReferenceServer, method: str, path: str, query: str = "",
         headers: list[tuple[str, str]] | None = None, body: bytes = b"", *,
         signed: bool = False, framing: str = "length") -> Answer:
    """One raw request (V4/SigV4-signed when asked), its answer checked for the dialect's shape."""
    pairs = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query.split("&") if p]
    raw = RawRequest(method, path, pairs, list(headers or []), body, framing,
                     "v4" if signed else "")
    sent = sign(raw, server.dialect, server.region, f"127.0.0.1:{server.port}")
    answer = exchange(server.port, method, frame(raw, sent))
    check_shape(answer, server.dialect, raw)
    return answer


def expect(answer: Answer, status: int, code: str) -> None:
    """The answer's status and error Code."""
    assert (answer.status, answer.code) == (status, code), answer.body[:300]


@dataclass
class Recorder(logging.Handler):
    """Collects records that mean a bug: the catch-all's ERROR, or a handler's unexpected error."""

    bugs: list[logging.LogRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)

    def __hash__(self) -> int:
        return id(self)

    def emit(self, record: logging.LogRecord) -> None:  # noqa: D102
        error = record.exc_info[1] if record.exc_info else None
        if record.levelno >= logging.ERROR or (error is not None
                                               and not isinstance(error, OSError)):
            self.bugs.append(record)


@contextmanager
def recording() -> Iterator[Recorder]:
    """A Recorder on the reference's loggers, at DEBUG so handler errors reach it too."""
    recorder, logger = Recorder(), logging.getLogger("conformance.reference")
    level = logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
