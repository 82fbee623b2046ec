"""How a page gets the case's origin: an HTTP proxy on 127.0.0.1 that Chromium sends everything to.

Chromium runs with ``--proxy-server=http://127.0.0.1:<port>`` (and ``<-loopback>``, so loopback
hosts go through it too). Chromium then never resolves a host name and never needs port 80:

* a request for the target's host and port is relayed to the target unchanged and recorded
  (request and answer, headers in wire order with duplicates), so the suite knows exactly what
  Chromium sent and what it judged;
* a request for any other host is answered here with a small blank page: loading
  ``http://www.example.com/__conformance__/page`` gives a document whose origin is exactly
  ``http://www.example.com``. ``?opaque=1`` adds ``Content-Security-Policy: sandbox
  allow-scripts``, which gives the document an opaque origin, so its fetches send ``Origin: null``;
* ``CONNECT`` (HTTPS) is terminated here with a throw-away certificate (Chromium ignores
  certificate errors) and handled the same way, so ``https://`` origins work too, and an HTTPS
  target is relayed with verification towards the target.

Nothing is ever tunnelled or fetched from anywhere but the target: a page host gets a page.
The actual request that follows a preflight is answered here, not relayed, when the observation
says so (see :meth:`OriginProxy.begin`): the item judges the preflight, and an unsigned PUT or
DELETE must never reach a bucket.
"""

from __future__ import annotations

import http.client
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from ..exchange import BODY_LIMIT, Exchange

__all__ = ["PAGE_PATH", "OriginProxy", "Relayed", "page_url"]

PAGE_PATH = "/__conformance__/page"
_PAGE = b"<!doctype html><meta charset=utf-8><title>oss-cors-conformance page</title>"
_RELAY_LIMIT = 4 * 1024 * 1024  # bytes of a target's body passed on to Chromium
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization",
                         "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"})
_DEFAULT_PORT = {"http": 80, "https": 443}


def page_url(origin: str) -> str:
    """Where the page for `origin` is loaded (``null``: an opaque-origin page)."""
    if origin == "null":
        return f"http://opaque-origin.invalid{PAGE_PATH}?opaque=1"
    return origin + PAGE_PATH


def _key(scheme: str, netloc: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in: how requests are matched."""
    parts = urlsplit(f"{scheme}://{netloc}")
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORT.get(scheme, 0)


@dataclass(frozen=True)
class Relayed:
    """One request Chromium sent towards the target, and the answer it got."""

    exchange: Exchange
    forwarded: bool  # False: answered by the proxy (the actual request after a preflight)

    @property
    def preflight(self) -> bool:
        """An OPTIONS carrying Access-Control-Request-Method: a CORS preflight."""
        names = {k.lower() for k, _ in self.exchange.request_headers}
        return self.exchange.method == "OPTIONS" and "access-control-request-method" in names


class OriginProxy:
    """The proxy server; one per browser session, bound to 127.0.0.1 on an ephemeral port."""

    def __init__(self, tls: ssl.SSLContext | None = None, timeout: float = 10.0) -> None:
        self.tls, self.timeout = tls, timeout
        self._lock = threading.Lock()
        self._target: tuple[str, str, int] | None = None
        self._forward_actual = False
        self._relayed: list[Relayed] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self  # type: ignore[attr-defined]  # read by _Handler
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="origin-proxy", daemon=True)

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, for ``--proxy-server``."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def begin(self, target_url: str, forward_actual: bool) -> None:
        """Start one observation: which host is the target, and whether actual requests go on.

        With ``forward_actual`` false, a non-preflight request to the target is answered here
        with a 204 that passes any CORS check (the observation is about the preflight only).
        """
        parts = urlsplit(target_url)
        with self._lock:
            self._target = _key(parts.scheme, parts.netloc)
            self._forward_actual = forward_actual
            self._relayed = []

    def relayed(self) -> list[Relayed]:
        """What Chromium sent to the target since :meth:`begin`, in order."""
        with self._lock:
            return list(self._relayed)

    # -- used by the handler ---------------------------------------------------------------
    def is_target(self, scheme: str, netloc: str) -> bool:
        """Whether a request for this scheme and host:port goes to the target."""
        with self._lock:
            return self._target == _key(scheme, netloc)

    def record(self, relayed: Relayed) -> None:
        """Keep one relayed exchange for the running observation."""
        with self._lock:
            self._relayed.append(relayed)

    @property
    def forward_actual(self) -> bool:
        """Whether the running observation sends actual requests on to the target."""
        with self._lock:
            return self._forward_actual


class _Server(ThreadingHTTPServer):
    """Daemon handler threads; a browser closing a connection early is not an error."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet for dropped connections (Chromium cancels and reuses them freely)."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Absolute-form requests (plain HTTP) and CONNECT, then origin-form requests inside TLS."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection from Chromium ends its thread
    _tls_netloc: str | None = None  # set once CONNECT switched this connection to TLS

    @property
    def proxy(self) -> OriginProxy:
        return self.server.proxy  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        """Quiet: exchanges are recorded, not logged."""

    def finish(self) -> None:
        """Close the TLS socket too: wrapping detached the one the server would close."""
        try:
            super().finish()
        finally:
            if self._tls_netloc is not None:
                self.connection.close()

    def do_CONNECT(self) -> None:  # noqa: N802 - http.server's naming
        """Terminate TLS here; the requests inside are handled like plain ones."""
        if self.proxy.tls is None:
            self.send_error(502, "HTTPS origins need the 'cryptography' package")
            return
        self.send_response_only(200, "Connection Established")
        self.end_headers()
        try:
            conn = self.proxy.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        # handle() keeps looping handle_one_request on these streams: now decrypted.
        self.connection, self._tls_netloc = conn, self.path
        self.rfile = conn.makefile("rb")
        self.wfile = conn.makefile("wb", buffering=0)

    def _any(self) -> None:
        if self._tls_netloc is not None:
            scheme, netloc, path = "https", self._tls_netloc, self.path
        else:
            parts = urlsplit(self.path)
            scheme, netloc = parts.scheme or "http", parts.netloc or self.headers.get("Host", "")
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if not self.proxy.is_target(scheme, netloc):
            self._page(path)
            return
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        ex = Exchange(method=self.command, url=f"{scheme}://{netloc}{path}", target=path,
                      request_headers=headers)
        relayed = Relayed(ex, forwarded=True)
        if not relayed.preflight and not self.proxy.forward_actual:
            relayed = Relayed(ex, forwarded=False)
            origin = self.headers.get("Origin", "null")
            ex.status, ex.reason = 204, "No Content (answered by the suite's proxy)"
            ex.response_headers = [("Access-Control-Allow-Origin", origin),
                                   ("Access-Control-Allow-Credentials", "true")]
            data = b""
        else:
            data = self._relay(scheme, netloc, ex, body)
        self.proxy.record(relayed)
        self._answer(ex, data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _any

    def __getattr__(self, name: str) -> object:
        if name.startswith("do_"):  # any other method a case may name (FETCH, ...)
            return self._any
        raise AttributeError(name)

    def _relay(self, scheme: str, netloc: str, ex: Exchange, body: bytes | None) -> bytes:
        """Send the request to the target as Chromium sent it; record and return the answer."""
        cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = cls(netloc, timeout=self.proxy.timeout)
        start = time.perf_counter()
        try:
            conn.putrequest(ex.method, ex.target, skip_host=True, skip_accept_encoding=True)
            for name, value in ex.request_headers:
                conn.putheader(name, value)
            conn.endheaders(body)
            resp = conn.getresponse()
            ex.status, ex.reason = resp.status, resp.reason
            ex.response_headers = list(resp.msg.items())
            data = resp.read(_RELAY_LIMIT)
            ex.body, ex.body_truncated = data[:BODY_LIMIT], len(data) > BODY_LIMIT
            return data
        except (OSError, http.client.HTTPException) as exc:
            ex.error = f"{exc.__class__.__name__}: {exc}"[:300]
            ex.status, ex.reason = 502, "Bad Gateway (target unreachable from the proxy)"
            return b""
        finally:
            ex.elapsed_ms = (time.perf_counter() - start) * 1000
            conn.close()

    def _answer(self, ex: Exchange, data: bytes) -> None:
        """Pass the target's answer on: status, headers in wire order, then the body."""
        self.send_response_only(ex.status, ex.reason)
        length = None
        for name, value in ex.response_headers:
            low = name.lower()
            if low == "content-length":
                length = value
            elif low not in _HOP_BY_HOP:
                self.send_header(name, value)
        if self.command == "HEAD" or ex.status in (204, 304):
            if length is not None and self.command == "HEAD":
                self.send_header("Content-Length", length)  # HEAD: the length of a GET
            data = b""
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _page(self, path: str) -> None:
        """Any host but the target: the blank page, or 404 (favicon and the like)."""
        found = path.split("?", 1)[0] == PAGE_PATH
        data = _PAGE if found else b""
        self.send_response_only(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        if found and "opaque=1" in path:
            self.send_header("Content-Security-Policy", "sandbox allow-scripts")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
