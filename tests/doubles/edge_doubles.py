"""Clones with the edge-input and configuration bugs of issue 13, in front of the reference.

Each double is a real loopback proxy (tests.doubles.servers.MutatingProxy) whose hooks also
see the request's headers and body, which the preflight-edge bugs key on:

* ``grant_without_method``: a preflight with Origin but no Access-Control-Request-Method is
  granted (the Origin echoed, the configured methods listed).
* ``grant_any_case_and_patch``: methods are compared case-blind and PATCH is let through;
  the grant echoes the method as sent, as lax clones do.
* ``ok_without_origin``: a preflight without Origin is answered 200 with an empty body.
* ``RuleLimitIgnored``: an S3 clone that stores more than 100 rules (ceph/ceph#23434).
* ``drop_rule_ids``: GetBucketCors answers lose every <ID>.
"""

from __future__ import annotations

import re
import threading
from email.message import Message

from tests.doubles.servers import Headers, MutatingProxy, _ProxyHandler

Answer = tuple[int, Headers, bytes]


class EdgeProxy(MutatingProxy):
    """A MutatingProxy whose `edge` hook sees the request head and body before forwarding.

    ``edge(method, path, request_headers, body)`` returns an answer to send instead of
    forwarding, or None to forward (and then let `mutate` rewrite) as usual.
    """

    def __init__(self, upstream: str, edge, mutate=None, only_options: bool = True) -> None:
        super().__init__(upstream, mutate or _unchanged, only_options=only_options)
        self.edge = edge
        self.httpd.RequestHandlerClass = _EdgeHandler


def _unchanged(method: str, path: str, status: int, headers: Headers, body: bytes) -> Answer:
    return status, headers, body


class _EdgeHandler(_ProxyHandler):
    """Reads the body once, offers the request to `edge`, else relays it as the proxy does."""

    def _relay(self, proxy: MutatingProxy) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        edge = proxy.edge if isinstance(proxy, EdgeProxy) else None
        answer = edge(self.command, self.path, self.headers, body) if edge else None
        if answer is not None:
            self._answer(*answer)
            return
        stream = self.rfile
        self.rfile = _Replay(body, stream)  # the relay reads the body again
        try:
            super()._relay(proxy)
        finally:
            self.rfile = stream


class _Replay:
    """A read-once stream that hands back the body already read, then the connection's."""

    def __init__(self, body: bytes, rest) -> None:
        self._body, self._rest = body, rest

    def read(self, n: int = -1) -> bytes:
        if self._body:
            out, self._body = (self._body, b"") if n < 0 else (self._body[:n], self._body[n:])
            return out
        return self._rest.read(n)

    def __getattr__(self, name: str):
        return getattr(self._rest, name)


def _grant(origin: str, methods: str) -> Answer:
    return 200, [("Access-Control-Allow-Origin", origin),
                 ("Access-Control-Allow-Methods", methods),
                 ("Access-Control-Max-Age", "30")], b""


def grant_without_method(method: str, path: str, headers: Message, body: bytes) -> Answer | None:
    """Grant a preflight that has Origin but no Access-Control-Request-Method."""
    origin = headers.get("Origin")
    if method == "OPTIONS" and origin and headers.get("Access-Control-Request-Method") is None:
        return _grant(origin, "GET, PUT")
    return None


STANDARD = ("GET", "PUT", "DELETE", "POST", "HEAD")


def grant_any_case_and_patch(method: str, path: str, headers: Message,
                             body: bytes) -> Answer | None:
    """Grant `put`, `patch` and PATCH, echoing the method as sent in Allow-Methods."""
    origin, asked = headers.get("Origin"), headers.get("Access-Control-Request-Method")
    if method != "OPTIONS" or not origin or not asked:
        return None
    if asked.upper() == "PATCH" or (asked != asked.upper() and asked.upper() in STANDARD):
        return _grant(origin, asked)
    return None


def ok_without_origin(method: str, path: str, headers: Message, body: bytes) -> Answer | None:
    """Answer 200, with nothing, to a preflight without Origin."""
    if method == "OPTIONS" and headers.get("Origin") is None:
        return 200, [], b""
    return None


class RuleLimitIgnored:
    """An S3 clone that takes any number of rules: a put of more than 100 is stored as sent.

    The over-limit body is kept here and GetBucketCors answers it until the next put that
    the reference behind it accepts (which then answers again).
    """

    LIMIT = 100

    def __init__(self) -> None:
        self._stored: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self, method: str, path: str, headers: Message, body: bytes) -> Answer | None:
        """The `edge` hook of an EdgeProxy."""
        if not re.search(r"[?&]cors(=|&|$)", path):
            return None
        with self._lock:
            if method == "PUT":
                if body.count(b"<CORSRule>") > self.LIMIT:
                    self._stored = body
                    return 200, [("x-amz-request-id", "EDGE0000000000000001")], b""
                self._stored = None
            elif method == "DELETE":
                self._stored = None
            elif method == "GET" and self._stored is not None:
                return 200, [("Content-Type", "application/xml")], self._stored
        return None


_ID = re.compile(rb"<ID>[^<]*</ID>")


def drop_rule_ids(method: str, path: str, status: int, headers: Headers, body: bytes) -> Answer:
    """A `mutate` hook: GetBucketCors answers without any rule <ID>."""
    if method == "GET" and "cors" in path and status == 200:
        return status, headers, _ID.sub(b"", body)
    return status, headers, body
