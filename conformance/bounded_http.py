"""http.client answers read within a total deadline, with the head and body cut at fixed sizes.

A socket timeout bounds one read, not an exchange: a target that sends one byte every two
seconds never trips a ten-second timeout. Here every read of the socket gets the time left
until the exchange's deadline (at most READ_TIMEOUT_S), so connect, send, head and body
together end by the deadline. The response head passes through a filter before http.client
parses it: the filter keeps the header lines itself, within MAX_HEADERS, HEADER_VALUE_LIMIT
and HEADERS_TOTAL_LIMIT, and hands http.client only the status line and the lines that frame
the body (Content-Length, Transfer-Encoding, Connection, Keep-Alive). So http.client's own
limits (100 headers, 64 KiB lines) never turn a verbose answer into an error, and what was
not kept is counted in `truncated`.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import time
from typing import Any

from .limits import (
    EXCHANGE_DEADLINE_S,
    HEAD_READ_LIMIT,
    HEADER_VALUE_LIMIT,
    HEADERS_TOTAL_LIMIT,
    MAX_HEADERS,
    READ_TIMEOUT_S,
    STATUS_LINE_LIMIT,
)

_FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
_FRAMING_LINES = 8  # framing lines handed to http.client (its own ceiling is 100 lines)
_LINE_READ = HEADER_VALUE_LIMIT + 1024  # bytes of one header line read before skipping on
_END_OF_HEAD = (b"\r\n", b"\n", b"")


class DeadlineExceeded(TimeoutError):
    """The exchange's total deadline passed before the answer was complete."""


class Deadline:
    """The end of one exchange, on the monotonic clock."""

    def __init__(self, total: float = EXCHANGE_DEADLINE_S, read: float = READ_TIMEOUT_S) -> None:
        self.total, self.read = total, read
        self.end = time.monotonic() + total

    def timeout(self) -> float:
        """The timeout for the next socket operation; raises once the deadline has passed."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded(f"no complete answer within the {self.total:g} s deadline")
        return min(left, self.read)


class _DeadlineReader(io.RawIOBase):
    """Socket reads, each with the time left until the deadline as its timeout.

    It reads through the socket's own unbuffered makefile(), as http.client does: that file
    holds a reference to the descriptor, so a connection that closes itself once the head
    says `Connection: close` leaves the socket open until this answer is read and closed.
    """

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._sock, self._deadline = sock, deadline
        self._io = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(self._deadline.timeout())
        try:
            return self._io.readinto(buffer)
        except TimeoutError:
            self._deadline.timeout()  # raises DeadlineExceeded when that is why
            raise

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._io.close()
        super().close()


class HeadFilter:
    """The file http.client reads an answer from: it keeps the head, hands on the framing."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._raw = io.BufferedReader(_DeadlineReader(sock, deadline))
        self._phase = "status"  # then "headers", then "body"
        self._status = 0
        self._head_bytes = 0
        self._kept_chars = 0
        self._framing = 0
        self._last: int | None = None  # index of the header a folded line continues
        self.headers: list[tuple[str, str]] = []  # wire order, duplicates kept
        self.truncated: dict[str, int] = {}

    # -- what http.client calls ---------------------------------------------------------
    def readline(self, limit: int = -1) -> bytes:
        """A line of the head (status or framing), or of the body once the head is read."""
        if self._phase == "body":
            return self._raw.readline(limit)
        if self._phase == "status":
            line = self._line(STATUS_LINE_LIMIT)
            self._start_head(line)
            return line
        while True:
            line = self._line(_LINE_READ)
            if line in _END_OF_HEAD:
                self._phase = "status" if self._status == 100 else "body"
                return line
            if self._keep(line):
                return line

    def read(self, size: int = -1) -> bytes:
        """Body bytes."""
        return self._raw.read(size)

    def readinto(self, buffer: Any) -> int:
        """Body bytes into `buffer`."""
        return self._raw.readinto(buffer)

    def read1(self, size: int = -1) -> bytes:
        """Body bytes, at most one socket read."""
        return self._raw.read1(size)

    def peek(self, size: int = 0) -> bytes:
        """Buffered body bytes."""
        return self._raw.peek(size)

    def fileno(self) -> int:
        """The socket's descriptor."""
        return self._raw.fileno()

    def flush(self) -> None:
        """Nothing is written through this file."""

    def close(self) -> None:
        """Forget the buffer; the connection owns the socket."""
        self._raw.close()

    # -- the head -----------------------------------------------------------------------
    def _line(self, keep: int) -> bytes:
        """One line with at most `keep` bytes kept; the rest is read, counted and dropped."""
        line = self._raw.readline(keep)
        self._count(len(line))
        if len(line) < keep or line.endswith(b"\n"):
            return line
        dropped = 0
        while True:
            rest = self._raw.readline(64 * 1024)
            self._count(len(rest))
            dropped += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
        self._cut("header_bytes", max(dropped - 2, 0))
        return line + b"\r\n"

    def _count(self, n: int) -> None:
        self._head_bytes += n
        if self._head_bytes > HEAD_READ_LIMIT:
            raise http.client.HTTPException(
                f"response head longer than {HEAD_READ_LIMIT:,} bytes")

    def _start_head(self, line: bytes) -> None:
        """A status line: a head starts (again, after a 100 Continue)."""
        parts = line.split(None, 2)
        self._status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self._phase = "headers"
        self.headers.clear()
        self.truncated.clear()
        self._kept_chars = self._framing = 0
        self._last = None

    def _keep(self, line: bytes) -> bool:
        """Record one header line within the caps; True when http.client needs it too."""
        text = line.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t"):  # obs-fold: continues the previous header's value
            if self._last is None:
                self._drop(text)
            else:
                name, value = self.headers[self._last]
                self._store(self._last, name, f"{value}\r\n{text}")
            return False
        name, colon, value = text.partition(":")
        if not colon or not name:
            self._cut("malformed", 1)
            self._last = None
            return False
        if len(self.headers) >= MAX_HEADERS or self._kept_chars + len(name) > HEADERS_TOTAL_LIMIT:
            self._drop(text)
        else:
            self.headers.append((name, ""))
            self._kept_chars += len(name)
            self._last = len(self.headers) - 1
            self._store(self._last, name, value.lstrip(" \t"))
        framing = name.strip().lower() in _FRAMING and self._framing < _FRAMING_LINES
        self._framing += framing
        return framing

    def _store(self, index: int, name: str, value: str) -> None:
        """Set a kept header's value, cut to the per-value and total caps."""
        old = len(self.headers[index][1])
        room = min(HEADER_VALUE_LIMIT, HEADERS_TOTAL_LIMIT - self._kept_chars + old)
        if len(value) > room:
            self._cut("header_bytes", len(value) - room)
            value = value[:room]
        self._kept_chars += len(value) - old
        self.headers[index] = (name, value)

    def _drop(self, text: str) -> None:
        self._cut("headers", 1)
        self._cut("header_bytes", len(text))
        self._last = None

    def _cut(self, key: str, n: int) -> None:
        if n:
            self.truncated[key] = self.truncated.get(key, 0) + n


class _Socket:
    """What HTTPResponse.__init__ takes: a socket whose makefile() is the head filter."""

    def __init__(self, fp: HeadFilter) -> None:
        self._fp = fp

    def makefile(self, *args: Any, **kwargs: Any) -> HeadFilter:
        return self._fp


class BoundedResponse(http.client.HTTPResponse):
    """An HTTPResponse read through a HeadFilter: `head` holds the kept headers."""

    def __init__(self, sock: socket.socket, debuglevel: int = 0, method: str | None = None,
                 url: str | None = None, *, deadline: Deadline) -> None:
        self.head = HeadFilter(sock, deadline)
        super().__init__(_Socket(self.head), debuglevel, method, url)  # type: ignore[arg-type]


def arm(conn: http.client.HTTPConnection, deadline: Deadline) -> None:
    """Make `conn`'s next request and answer keep to `deadline` (call before sending)."""
    conn.timeout = deadline.timeout()  # used by connect()
    if conn.sock is not None:
        conn.sock.settimeout(conn.timeout)  # sendall: the whole request within it
    conn.response_class = functools.partial(BoundedResponse, deadline=deadline)


def read_body(resp: BoundedResponse, limit: int) -> tuple[bytes, dict[str, int]]:
    """At most `limit` body bytes, and what was not kept (head and body) as `truncated`."""
    body = resp.read(limit + 1)
    truncated = dict(resp.head.truncated)
    if len(body) > limit:  # an untrusted target may stream forever: stop reading
        truncated["body_bytes"] = -1 if resp.length is None else resp.length + 1
        body = body[:limit]
    return body, truncated
