"""botocore's calls sent over the probes' bounded http.client reads, through `before-send`.

botocore's own sender (urllib3) has a timeout per read only, and keeps every header and
body byte a target sends: a target that drips its answer holds a management call for ever.
A `before-send` handler that returns a response replaces botocore's sending; this one sends
the final (signed) request over a kept-alive http.client connection with the exchange
deadline and the header caps of `bounded_http`, and hands botocore the answer. Like the OSS
transport it connects directly (no HTTP(S)_PROXY) and verifies TLS with the system store.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, HTTPClientError

from .. import limits
from ..bounded_http import BoundedResponse, Deadline, arm, read_body
from ..keepalive import STALE, KeepAlive


class _Headers:
    """The kept header lines, in wire order with duplicates (what the recorder reads)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        """Every kept line as (name, value)."""
        return list(self._pairs)


class _Raw:
    """The read answer, in the shape AWSResponse.raw has: stream(), read(), headers, reason."""

    def __init__(self, reason: str, headers: list[tuple[str, str]], content: bytes,
                 truncated: dict[str, int]) -> None:
        self.reason, self.headers, self.truncated = reason, _Headers(headers), truncated
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        """The body in one piece."""
        yield self._content

    def read(self, *_: Any, **__: Any) -> bytes:
        """The whole body (a streaming output reads it so)."""
        content, self._content = self._content, b""
        return content


class BoundedSender:
    """A `before-send.s3` handler: sends the request itself and returns botocore's response."""

    def __init__(self, timeout: float) -> None:
        self.pool = KeepAlive(timeout)
        self.timeout = timeout

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        """Send `request` (final: signed) within the exchange deadline; errors are botocore's."""
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {k: v for k, v in request.headers.items() if v is not None}
        body = _bytes(request.body)
        deadline = Deadline(limits.EXCHANGE_DEADLINE_S, self.timeout)
        for attempt in (1, 2):  # a kept-alive socket the server closed fails once; retry fresh
            conn = self.pool.connection(parts.scheme, parts.netloc)
            try:
                return self._exchange(conn, request, target, headers, body, deadline)
            except STALE as exc:
                conn.close()
                if attempt == 2:
                    raise HTTPClientError(error=exc) from None
            except (socket.gaierror, ConnectionRefusedError) as exc:
                conn.close()
                raise EndpointConnectionError(endpoint_url=request.url, error=exc) from None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise HTTPClientError(error=exc) from None
            except BaseException:  # e.g. Ctrl-C mid-answer: the restore that follows needs a
                conn.close()  # clean connection, not one still waiting for this answer
                raise
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _exchange(self, conn: http.client.HTTPConnection, request: Any, target: str,
                  headers: dict[str, Any], body: bytes | None, deadline: Deadline) -> AWSResponse:
        arm(conn, deadline)
        conn.request(request.method, target, body=body, headers=headers)  # adds Content-Length
        answer: BoundedResponse = conn.getresponse()  # type: ignore[assignment]
        content, cut = read_body(answer, limits.MANAGEMENT_BODY_LIMIT)
        if "body_bytes" in cut:
            raise http.client.HTTPException(
                f"answer body over {limits.MANAGEMENT_BODY_LIMIT:,} bytes")
        if answer.will_close or cut:  # a cut head may have framed the body: start afresh
            conn.close()
        kept = answer.head.headers
        raw = _Raw(answer.reason[:limits.SHOWN_VALUE], kept, content, cut)
        return AWSResponse(request.url, answer.status, kept, raw)

    def close(self) -> None:
        """Close every kept-alive connection."""
        self.pool.close()


def _bytes(body: Any) -> bytes | None:
    """Botocore hands over bytes, str, a readable, or nothing; send bytes."""
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        if hasattr(body, "seek"):
            body.seek(0)  # a retry by botocore would read it again
        return data.encode("utf-8") if isinstance(data, str) else data
    return b"".join(body)
