"""Bounded reading of request bodies, and header values made safe to send back.

The request head is read under one deadline (HeadDeadlineIO). A client's body is read under
three bounds: MAX_BODY_BYTES in total (a larger announced or
chunked size is refused before it is read), MAX_CHUNK_LINE bytes per chunk-size or trailer line,
and one deadline for the whole body (a dripping or endless body ends in RequestTimeout, whatever
the pace of its bytes). Every refusal is an `errors.OssError` with a 4xx status (501 for a
coding such as gzip before chunked, as AWS answers) that the dialect layer puts in its shape;
the connection is then closed, since the rest of the body was not read.
"""

from __future__ import annotations

import re
import socket
import time
from io import BufferedReader
from urllib.parse import quote

from . import errors

MAX_BODY_BYTES = 64 * 1024 * 1024  # an in-memory test double, not a storage system
MAX_CHUNK_LINE = 4096  # a chunk-size line with extensions, or one trailer line
MAX_TRAILERS = 100
BODY_DEADLINE_S = 30.0  # the whole body, from its first byte to its last
HEAD_DEADLINE_S = 60.0  # request line and headers, counted from the end of the previous answer
LINGER_S = 1.0  # how long a closing connection may still be drained
LINGER_BYTES = 4 * 1024 * 1024
_READ_SIZE = 64 * 1024
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DECIMAL = re.compile(r"[0-9]{1,20}")
# Characters a header value may not carry out: controls (CR/LF would split the header) and
# anything latin-1 cannot encode. They leave percent-encoded, as UTF-8.
_UNSAFE_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]")


def incomplete_body() -> errors.OssError:
    """The body ended before its announced length or last chunk (AWS, OSS: IncompleteBody)."""
    return errors.OssError(400, "IncompleteBody", "You did not provide the number of bytes "
                           "specified by the Content-Length HTTP header.")


def request_timeout() -> errors.OssError:
    """The body was not received within the deadline (AWS and OSS: RequestTimeout)."""
    return errors.OssError(400, "RequestTimeout", "Your socket connection to the server was not "
                           "read from or written to within the timeout period. Idle connections "
                           "will be closed.")


def bad_chunk(why: str) -> errors.OssError:
    """Chunked framing that is not HTTP/1.1's."""
    return errors.OssError(400, "InvalidArgument", f"Invalid chunked transfer encoding: {why}.")


def invalid_content_length(value: str) -> errors.OssError:
    """A Content-Length that is not one decimal number."""
    return errors.OssError(400, "InvalidArgument", "Content-Length must be a decimal number of "
                           "bytes.", extra=(("ArgumentName", "Content-Length"),
                                            ("ArgumentValue", safe_header_value(value)[:200])))


def bad_transfer_encoding() -> errors.OssError:
    """A Transfer-Encoding that does not end in exactly one chunked (RFC 9112: 400)."""
    return errors.OssError(400, "BadRequest", "Transfer-Encoding must end with chunked, applied "
                           "once.", extra=(("Header", "Transfer-Encoding"),))


def unsupported_transfer_encoding() -> errors.OssError:
    """A coding (gzip…) before chunked: AWS's 501 NotImplemented, naming the header."""
    return errors.OssError(501, "NotImplemented", "A header you provided implies functionality "
                           "that is not implemented", extra=(("Header", "Transfer-Encoding"),))


def safe_header_value(value: str) -> str:
    """`value` with controls and non-latin-1 characters percent-encoded (UTF-8)."""
    if not _UNSAFE_HEADER.search(value):
        return value
    return _UNSAFE_HEADER.sub(lambda m: quote(m.group(), safe=""), value)


class HeadDeadlineIO(socket.SocketIO):
    """The connection's raw reader: while `deadline` is set, no read may wait past it.

    http.server reads the request line and headers itself, one raw read at a time; a client
    that drips them (slowloris) is cut off at the deadline whatever its pace (TimeoutError,
    which http.server turns into a closed connection).
    """

    deadline: float | None = None

    def readinto(self, b: bytearray | memoryview) -> int | None:  # noqa: D102
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request head did not arrive in time")
            self._sock.settimeout(left)
        return super().readinto(b)


class BodyReader:
    """Reads one request body from a keep-alive socket under the size cap and the deadline."""

    def __init__(self, rfile: BufferedReader, connection: socket.socket,
                 deadline_s: float = BODY_DEADLINE_S, cap: int = MAX_BODY_BYTES) -> None:
        self.rfile = rfile
        self.connection = connection
        self.deadline = time.monotonic() + deadline_s
        self.cap = cap

    def read(self, transfer_encoding: str | None, content_length: str | None) -> bytes:
        """The body framed by these headers (Transfer-Encoding wins, as RFC 9112 §6.3 says)."""
        if transfer_encoding is not None:
            codings = [c.strip().lower() for c in transfer_encoding.split(",") if c.strip()]
            if not codings or codings[-1] != "chunked" or codings.count("chunked") > 1:
                # RFC 9112 §6.3: without chunked last, once, the body's length is unknowable.
                raise bad_transfer_encoding()
            if len(codings) > 1:
                raise unsupported_transfer_encoding()
            return self._chunked()
        if content_length is None:
            return b""
        values = {v.strip() for v in content_length.split(",")}
        value = values.pop() if len(values) == 1 else ""
        if not _DECIMAL.fullmatch(value):
            raise invalid_content_length(content_length)
        if int(value) > self.cap:
            raise errors.entity_too_large()
        return self._exact(int(value))

    def _wait(self) -> None:
        # The socket timeout of the next raw read is what is left of the deadline.
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise request_timeout()
        self.connection.settimeout(left)

    def _exact(self, size: int) -> bytes:
        parts, left = [], size
        try:
            while left:
                self._wait()
                data = self.rfile.read1(min(left, _READ_SIZE))
                if not data:
                    raise incomplete_body()
                parts.append(data)
                left -= len(data)
        except TimeoutError:
            raise request_timeout() from None
        return b"".join(parts)

    def _line(self) -> bytes:
        """One CRLF- (or LF-) ended line, at most MAX_CHUNK_LINE bytes, without its end."""
        line = b""
        try:
            while True:
                self._wait()
                ahead = self.rfile.peek(1)[:MAX_CHUNK_LINE + 2]
                if not ahead:
                    raise incomplete_body()
                end = ahead.find(b"\n")
                taken = self.rfile.read(len(ahead) if end < 0 else end + 1)
                line += taken
                if end >= 0:
                    return line.rstrip(b"\r\n")
                if len(line) > MAX_CHUNK_LINE:
                    raise bad_chunk("a chunk-size or trailer line is too long")
        except TimeoutError:
            raise request_timeout() from None

    def _chunked(self) -> bytes:
        chunks, total = [], 0
        while True:
            size_field = self._line().split(b";")[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_field):
                raise bad_chunk("a chunk size must be hexadecimal digits")
            size = int(size_field, 16)
            if size == 0:
                self._trailers()
                return b"".join(chunks)
            total += size
            if total > self.cap:
                raise errors.entity_too_large()
            chunks.append(self._exact(size))
            if self._line():
                raise bad_chunk("a chunk's data must be followed by CRLF")

    def _trailers(self) -> None:
        for _ in range(MAX_TRAILERS):
            if not self._line():
                return
        raise bad_chunk("too many trailer lines")


def linger(conn: socket.socket) -> None:
    """Half-close, then drain what the client still sends (bounded) before the socket closes.

    Closing with unread bytes (an early 4xx to a request whose body was not read) makes the
    kernel send a reset, which can destroy the answer before the client reads it.
    """
    try:
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(LINGER_S)
        deadline, drained = time.monotonic() + LINGER_S, 0
        while drained < LINGER_BYTES and time.monotonic() < deadline:
            data = conn.recv(64 * 1024)
            if not data:
                return
            drained += len(data)
    except OSError:
        pass  # reset, timed out or already closed: nothing more to protect


def protocol_refusal(code: int) -> errors.OssError:
    """What http.server refused, as a 4xx: 501 (unknown method) and 505 (version) included."""
    if code == 501:
        return errors.method_not_allowed()
    if code == 431:
        return errors.OssError(400, "RequestHeaderSectionTooLarge",
                               "Your request header section exceeds the maximum allowed size.")
    if code == 414:
        return errors.OssError(400, "KeyTooLongError", "Your key is too long.")
    return errors.OssError(400, "BadRequest", "An error occurred when parsing the HTTP request.")
