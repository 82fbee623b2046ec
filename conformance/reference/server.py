"""The reference endpoint: a real HTTP server on 127.0.0.1 speaking the OSS or the S3 dialect.

`ReferenceServer` owns a stdlib ThreadingHTTPServer in a background thread; the handler only moves
bytes between the socket and `Service`, which holds the behaviour (and its dialect layer).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from . import errors
from .messages import Request, Response, resolve_target, split_query
from .service import Service
from .transport import (
    BODY_DEADLINE_S,
    HEAD_DEADLINE_S,
    MAX_BODY_BYTES,
    BodyReader,
    HeadDeadlineIO,
    linger,
    protocol_refusal,
    safe_header_value,
)

__all__ = ["MAX_BODY_BYTES", "ReferenceServer"]

log = logging.getLogger(__name__)


class _HTTPServer(ThreadingHTTPServer):
    """Counts requests and remembers open connections so stop() can close idle keep-alives."""

    daemon_threads = True  # a forgotten stop() must never hang interpreter exit

    def __init__(self, address: tuple[str, int], service: Service, latency_s: float,
                 deadlines: tuple[float, float]) -> None:
        self.service = service
        self.latency_s = latency_s
        self.head_deadline_s, self.body_deadline_s = deadlines
        self.request_count = 0
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def count_request(self) -> None:
        with self._lock:
            self.request_count += 1

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        with self._lock:
            self._connections.discard(request)
        linger(request)
        self.close_request(request)

    def knock(self) -> None:
        """Connect to the listening socket once, so a waiting select() in serve_forever returns."""
        try:
            socket.create_connection(self.server_address[:2], timeout=1).close()
        except OSError:
            pass  # already closed: the loop has ended anyway

    def close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the peer

    def handle_error(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        # Clients that hang up mid-answer are normal in tests; keep stderr clean.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs expect
    # Headers and body leave in one write (handle_one_request flushes), with Nagle off: two small
    # writes on a keep-alive socket otherwise stall ~40 ms on the client's delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections release their thread eventually
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Same object, deadline-aware reads: the head of each request has a total deadline.
        self._head_io: HeadDeadlineIO = self.rfile.raw  # type: ignore[attr-defined]
        self._head_io.__class__ = HeadDeadlineIO
        self._arm_head_deadline()

    def _arm_head_deadline(self) -> None:
        self._head_io.deadline = time.monotonic() + self.server.head_deadline_s

    def _disarm_head_deadline(self) -> None:
        self._head_io.deadline = None
        self.connection.settimeout(self.timeout)

    def handle_expect_100(self) -> bool:
        # botocore sends `Expect: 100-continue` on uploads and waits a second for the interim
        # answer; with the buffered writer it would sit in the buffer, so flush it now.
        self.send_response_only(100)
        self.end_headers()
        self.wfile.flush()
        return True

    def version_string(self) -> str:
        return self.server.service.layer.server_name

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        reader = BodyReader(self.rfile, self.connection, self.server.body_deadline_s)
        try:
            return reader.read(self._joined("Transfer-Encoding"),
                               self._joined("Content-Length"))
        finally:
            self.connection.settimeout(self.timeout)  # back to the keep-alive idle timeout

    def _joined(self, name: str) -> str | None:
        values = self.headers.get_all(name)
        return ", ".join(values) if values else None

    def _serve(self) -> None:
        self._disarm_head_deadline()  # the head has arrived; the body has its own deadline
        self.server.count_request()
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # answer with a status line and headers anyway
        path, _, query = self.path.partition("?")
        failure = None
        try:
            body = self._read_body()
        except errors.OssError as refused:
            body, failure = b"", refused
            self.close_connection = True  # the unread body makes the connection unusable
        bucket, key = resolve_target(self.headers.get("Host") or "", path)
        request = Request(self.command, path, split_query(query), tuple(self.headers.items()),
                          body, bucket, key)
        response = self.server.service.handle(request, failure)
        if self.server.latency_s:
            time.sleep(self.server.latency_s)
        self._write(response)
        self._arm_head_deadline()  # the next request on this keep-alive connection

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """The stdlib's protocol refusals (request line, headers, method) in the dialect's shape."""
        self._disarm_head_deadline()
        refusal = protocol_refusal(code)
        self.close_connection = True
        if self.request_version in ("", "HTTP/0.9"):
            self.request_version = "HTTP/1.0"
        # The request line may be what was refused: a HEAD is still answered without a body.
        words = (getattr(self, "raw_requestline", b"") or b"").split(maxsplit=1)
        method = (self.command or (words[0].decode("latin-1") if words else "")).upper()
        self.command = method if method in _METHODS else "GET"
        request = Request(self.command, "/", (), (), b"", None, None)
        self._write(self.server.service.handle(request, refusal))

    def _write(self, response: Response) -> None:
        self.send_response(response.status)  # also sends Server and Date
        for name, value in response.headers:
            self.send_header(name, safe_header_value(value))
        if response.status not in (204, 304):
            length = response.content_length
            length = len(response.body) if length is None else length
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _serve


_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH")


DEFAULT_REGION = {"oss": "cn-hangzhou", "s3": "us-east-1"}


class ReferenceServer:
    """The embedded endpoint: `with ReferenceServer(credentials={...}) as srv: srv.endpoint`.

    credentials maps AccessKeyId to secret; only they can sign. latency_ms delays every answer to
    simulate a remote endpoint. dialect is "oss" (default) or "s3"; region defaults by dialect.
    head_deadline_s bounds the wait for a request's line and headers (the connection closes
    after); body_deadline_s bounds the time its body may take to arrive (RequestTimeout after).
    """

    def __init__(self, credentials: Mapping[str, str] | None = None, host: str = "127.0.0.1",
                 port: int = 0, region: str | None = None, latency_ms: float = 0,
                 dialect: str = "oss", body_deadline_s: float = BODY_DEADLINE_S,
                 head_deadline_s: float = HEAD_DEADLINE_S) -> None:
        if dialect not in DEFAULT_REGION:
            raise ValueError(f"unknown dialect {dialect!r}: expected oss or s3")
        self.host = host
        self.dialect = dialect
        self.region = region or DEFAULT_REGION[dialect]
        self._requested_port = port
        self._service = Service(credentials or {}, self.region, dialect=dialect)
        self._latency_s = max(latency_ms, 0) / 1000
        self._deadlines = (head_deadline_s, body_deadline_s)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _running(self) -> _HTTPServer:
        if self._httpd is None:
            raise RuntimeError("the reference server is not started; call start() first")
        return self._httpd

    @property
    def port(self) -> int:
        """The bound TCP port (the real one when 0 was asked for)."""
        return int(self._running().server_address[1])

    @property
    def endpoint(self) -> str:
        """`http://<host>:<port>`, ready for an SDK's endpoint setting."""
        return f"http://{self.host}:{self.port}"

    @property
    def request_count(self) -> int:
        """Requests served since start, preflights included."""
        return self._running().request_count

    def start(self) -> ReferenceServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the reference server is already started")
        self._httpd = _HTTPServer((self.host, self._requested_port), self._service, self._latency_s,
                                  self._deadlines)
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"{self.dialect}-reference-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and live connections, and join the thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        # shutdown() takes effect only when serve_forever's select() returns: after poll_interval
        # (0.1 s; 57 ms per stop on average, paid by every run and every xdist worker) unless a
        # connection arrives. Knock until the loop has seen the request.
        stopper = threading.Thread(target=httpd.shutdown, name=f"{thread.name}-stop")
        stopper.start()
        while stopper.is_alive():
            httpd.knock()
            stopper.join(0.01)
        httpd.close_connections()
        httpd.server_close()
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
