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

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, HTTPClientError

from ..keepalive import KeepAlive, send_management


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
        body = _bytes(request.body)
        try:
            answer = send_management(self.pool, self.timeout, request.method, request.url,
                                     request.headers, body)
        except (socket.gaierror, ConnectionRefusedError) as exc:
            raise EndpointConnectionError(endpoint_url=request.url, error=exc) from None
        except (OSError, http.client.HTTPException) as exc:
            raise HTTPClientError(error=exc) from None
        raw = _Raw(answer.reason, answer.headers, answer.content, answer.truncated)
        return AWSResponse(request.url, answer.status, answer.headers, raw)

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
