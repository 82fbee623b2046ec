"""A hostile target: a loopback proxy in front of the reference that answers probes badly.

Signed requests (management calls: they carry Authorization) are forwarded to the upstream,
so a run can provision its configurations; unsigned ones (probes, as a browser sends them)
get the hostile answer of `mode`. With `everything=True` the management calls get it too.
Real sockets on 127.0.0.1, one thread per connection; `__exit__` closes every socket.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import struct
import threading
import time
from urllib.parse import urlsplit

MODES = ("drip", "drip-head", "many-headers", "huge-values", "reset", "silent")
_HEAD = b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\n"


class HostileProxy:
    """Forwards signed requests to `upstream`; answers the others as `mode` says."""

    def __init__(self, upstream: str, mode: str, everything: bool = False,
                 drip_interval: float = 0.5) -> None:
        assert mode in MODES, mode
        self.upstream = urlsplit(upstream).netloc
        self.mode, self.everything, self.drip_interval = mode, everything, drip_interval
        self.hostile_answers = 0  # how many requests got the hostile answer
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)  # accept() does not wake on close(): poll a stop flag
        self._stopped = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def endpoint(self) -> str:
        """http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> HostileProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(5)
        self._sock.close()
        with self._lock:
            for conn in list(self._open):
                _close(conn)

    # -- serving --------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        reader = conn.makefile("rb")
        try:
            while not self._stopped.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                method, target, headers, body = request
                signed = any(k.lower() == "authorization" for k, _ in headers) or (
                    "Signature=" in target or "x-oss-signature" in target.lower())
                if signed and not self.everything:
                    conn.sendall(self._forward(method, target, headers, body))
                    continue
                with self._lock:
                    self.hostile_answers += 1
                self._hostile(conn)
                return
        except OSError:
            return
        finally:
            reader.close()
            with self._lock:
                self._open.discard(conn)
            _close(conn)

    def _forward(self, method: str, target: str, headers: list[tuple[str, str]],
                 body: bytes) -> bytes:
        up = http.client.HTTPConnection(self.upstream, timeout=10)
        try:
            up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                up.putheader(name, value)
            up.endheaders(body or None)
            resp = up.getresponse()
            data = resp.read()
            lines = [f"HTTP/1.1 {resp.status} {resp.reason}"]
            lines += [f"{k}: {v}" for k, v in resp.getheaders()
                      if k.lower() not in ("content-length", "transfer-encoding", "connection")]
            size = 0 if method == "HEAD" else len(data)
            lines.append(f"Content-Length: {size}")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            return head + (b"" if method == "HEAD" else data)
        finally:
            up.close()

    def _hostile(self, conn: socket.socket) -> None:
        """The answer of this mode (it returns when done, or when the proxy stops)."""
        mode = self.mode
        if mode == "silent":
            self._stopped.wait()
        elif mode == "drip":
            conn.sendall(_HEAD + b"Content-Length: 100000000\r\n\r\n")
            self._drip(conn, b"")
        elif mode == "drip-head":
            self._drip(conn, _HEAD + b"X-Slow: ")
        elif mode == "many-headers":
            lines = b"".join(b"X-H-%d: <&\"v\r\n" % i for i in range(10_000))
            conn.sendall(_HEAD + lines + b"Content-Length: 2\r\n\r\nok")
        elif mode == "huge-values":  # what escapes worst in HTML, XML and JSON: < & " \\
            value = b'<&"\\' * (15 * 1024)  # 60 KiB
            lines = b"".join(b"X-Big-%d: %s\r\n" % (i, value) for i in range(95))
            body = b"<" * (100 * 1024)
            conn.sendall(b"HTTP/1.1 200 " + value + b"\r\n" + lines
                         + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        elif mode == "reset":
            conn.sendall(_HEAD + b"Content-Length: 1000\r\n\r\npartial")
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _drip(self, conn: socket.socket, start: bytes) -> None:
        """`start` one byte at a time, then "x" forever: one byte every drip_interval."""
        for i in itertools.count():
            if self._stopped.wait(self.drip_interval):
                return
            conn.sendall(start[i:i + 1] or b"x")


def _read_request(reader) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    """One request (line, headers, Content-Length body), or None at the end of the stream."""
    line = reader.readline(65537)
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: list[tuple[str, str]] = []
    while True:
        raw = reader.readline(65537)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name, value.strip()))
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    return method, target, headers, reader.read(length) if length else b""


def _close(conn: socket.socket) -> None:
    try:
        conn.close()
    except OSError:
        pass


def wait_until(predicate, timeout: float) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
