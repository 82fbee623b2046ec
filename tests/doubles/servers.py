"""Test doubles: real loopback HTTP servers that deviate from OSS in chosen ways."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Headers = list[tuple[str, str]]
# (method, path, status, headers, body) -> (status, headers, body)
Mutation = Callable[[str, str, int, Headers, bytes], tuple[int, Headers, bytes]]
# (method, path) -> an answer given instead of forwarding, or None to forward
Intercept = Callable[[str, str], "tuple[int, Headers, bytes] | None"]


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class MutatingProxy(_Server):
    """Forwards everything to `upstream`, then lets `mutate` rewrite preflight answers."""

    def __init__(self, upstream: str, mutate: Mutation, only_options: bool = True,
                 intercept: Intercept | None = None, delay_s: float = 0.0) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.delay_s = delay_s
        self.mutate = mutate
        self.intercept = intercept
        self.only_options = only_options
        self.in_flight = self.most_in_flight = 0  # requests being answered at once
        self._count = threading.Lock()
        super().__init__(_ProxyHandler)

    def enter(self) -> None:
        with self._count:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._count:
            self.in_flight -= 1


class AnswerHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 without log lines; `_answer` sends a whole answer, framed by Content-Length."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, headers: Headers, data: bytes) -> None:
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def send_upstream(netloc: str, method: str, path: str, headers: Headers,
                  body: bytes | None) -> tuple[int, Headers, bytes]:
    """Send one request to `netloc` as it is (header lines verbatim); its whole answer."""
    conn = http.client.HTTPConnection(netloc, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders(body or None)
        resp = conn.getresponse()
        return resp.status, list(resp.msg.items()), resp.read()
    finally:
        conn.close()


class _ProxyHandler(AnswerHandler):
    def _forward(self) -> None:
        proxy: MutatingProxy = self.server.owner
        proxy.enter()
        try:
            self._relay(proxy)
        finally:
            proxy.leave()

    def _relay(self, proxy: MutatingProxy) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if proxy.delay_s:
            time.sleep(proxy.delay_s)  # a remote endpoint: long enough runs to interrupt
        answer = proxy.intercept(self.command, self.path) if proxy.intercept else None
        if answer is not None:
            self._answer(*answer)
            return
        status, headers, data = send_upstream(proxy.upstream, self.command, self.path,
                                              self.headers.items(), body)
        if self.command == "OPTIONS" or not proxy.only_options:
            status, headers, data = proxy.mutate(self.command, self.path, status, headers, data)
        self._answer(status, headers, data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = _forward


class RawCaptureServer:
    """Records the raw bytes of each request head and answers with fixed bytes."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # accept() does not wake on close(): poll a stop flag
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                conn.sendall(self.answer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()
