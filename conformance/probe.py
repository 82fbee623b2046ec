"""Fire preflights and actual requests as a browser would, and record every exchange.

http.client is used directly (not requests) because it reports response headers in wire
order with duplicates kept, which CORS checks need (two Access-Control-Allow-Origin lines
are a failure that a merged header dict hides). Raw mode writes the bytes itself.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from . import limits
from .bounded_http import BoundedResponse, Deadline, arm, read_body
from .cases.model import ProbeRequest
from .exchange import Exchange
from .keepalive import STALE, KeepAlive

USER_AGENT = "oss-cors-conformance/0.1 (+preflight probe)"
DEFAULT_CONTENT_TYPE = "text/plain;charset=UTF-8"  # what fetch() sends with a string body


def browser_headers(req: ProbeRequest,
                    signed: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """The header lines a browser sends for this request, in a browser's order.

    `signed`: the header lines an SDK signed for the request (Authorization, x-amz-date…),
    sent after Origin as a page's fetch() would set them.
    """
    headers: list[tuple[str, str]] = [("Accept", "*/*")]
    if req.method == "OPTIONS":
        if req.request_method is not None:
            headers.append(("Access-Control-Request-Method", req.request_method))
        if req.request_headers is not None:
            headers.append(("Access-Control-Request-Headers", req.request_headers))
    if req.origin is not None:
        headers.append(("Origin", req.origin))
    headers += signed
    if req.body is not None:
        headers.append(("Content-Type", req.content_type or DEFAULT_CONTENT_TYPE))
        headers.append(("Content-Length", str(len(req.body.encode()))))
    headers += [
        ("User-Agent", USER_AGENT),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Dest", "empty"),
    ]
    return headers


class Prober:
    """Sends requests over keep-alive connections, one per origin server, and records them.

    `timeout` bounds one socket read; `deadline` (limits.EXCHANGE_DEADLINE_S when None, read
    at each exchange) bounds the whole exchange, the retry on a stale connection included.
    """

    def __init__(self, timeout: float = limits.READ_TIMEOUT_S,
                 deadline: float | None = None) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self._pool = KeepAlive(timeout)

    def _deadline(self) -> Deadline:
        total = limits.EXCHANGE_DEADLINE_S if self.deadline is None else self.deadline
        return Deadline(total, self.timeout)

    def fire(self, url: str, req: ProbeRequest,
             signed: Sequence[tuple[str, str]] = ()) -> Exchange:
        """Send `req` to `url` (absolute, path included) and record the exchange.

        `signed`: header lines of a signed request (conformance.signed), sent as they are.
        """
        if req.raw_headers is not None:
            return self._fire_raw(url, req)
        body = req.body.encode() if req.body is not None else None
        return self._fire(url, req.method, browser_headers(req, signed), body)

    def close(self) -> None:
        """Close every kept-alive connection."""
        self._pool.close()

    def _fire(self, url: str, method: str, headers: list[tuple[str, str]],
              body: bytes | None = None) -> Exchange:
        parts = urlsplit(url)
        target = _request_target(parts)
        sent = [("Host", parts.netloc), *headers]
        ex = Exchange(method=method, url=url, target=target, request_headers=sent,
                      request_body=(body or b"").decode("utf-8", "replace"))
        start = time.perf_counter()
        deadline = self._deadline()
        for attempt in (1, 2):  # a kept-alive socket the server closed fails once; retry fresh
            conn = self._pool.connection(parts.scheme, parts.netloc)
            try:
                arm(conn, deadline)
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for name, value in sent:
                    conn.putheader(name, value)
                conn.endheaders(body)
                _read_response(conn.getresponse(), ex, conn)
                break
            except STALE as exc:
                conn.close()
                if attempt == 2:
                    ex.error = _describe(exc)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                ex.error = _describe(exc)
                break
        ex.elapsed_ms = (time.perf_counter() - start) * 1000
        return ex

    def _fire_raw(self, url: str, req: ProbeRequest) -> Exchange:
        parts = urlsplit(url)
        target = _request_target(parts)
        sent = [("Host", parts.netloc), *(req.raw_headers or ())]
        ex = Exchange(method=req.method, url=url, target=target, request_headers=sent, raw=True)
        wire = f"{req.method} {target} HTTP/1.1\r\n"
        wire += "".join(f"{n}: {v}\r\n" for n, v in sent) + "\r\n"
        start = time.perf_counter()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        deadline = self._deadline()
        try:
            with socket.create_connection((parts.hostname, port),
                                          timeout=deadline.timeout()) as sock:
                if parts.scheme == "https":
                    sock = ssl.create_default_context().wrap_socket(
                        sock, server_hostname=parts.hostname)
                sock.settimeout(deadline.timeout())
                sock.sendall(wire.encode("latin-1"))
                resp = BoundedResponse(sock, method=req.method, deadline=deadline)
                resp.begin()
                _read_response(resp, ex, None)
        except (OSError, http.client.HTTPException, UnicodeEncodeError) as exc:
            ex.error = _describe(exc)
        ex.elapsed_ms = (time.perf_counter() - start) * 1000
        return ex


def _request_target(parts) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _read_response(resp: BoundedResponse, ex: Exchange,
                   conn: http.client.HTTPConnection | None) -> None:
    ex.status, ex.reason = resp.status, resp.reason
    ex.response_headers = resp.head.headers
    ex.body, ex.truncated = read_body(resp, limits.BODY_LIMIT)
    ex.body_truncated = "body_bytes" in ex.truncated
    if ex.truncated:  # what was skipped may have framed the body: never reuse the socket
        resp.close()
        if conn is not None:
            conn.close()
    elif resp.will_close and conn is not None:
        conn.close()


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:300]
