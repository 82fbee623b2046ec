"""The OSS SDK's HTTP transport on http.client, the same client the probes use.

The SDK signs and parses; this only moves bytes. Its default transport goes through
requests and urllib3, which cost about a millisecond a call more than http.client on a
loopback endpoint (proxy lookup in the environment, adapters, hooks) and buy nothing here:
management calls need no redirects, cookies or decompression. Like the probes, it connects
directly (no HTTP(S)_PROXY) and verifies TLS with the system's certificate store.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2 import exceptions
from requests.structures import CaseInsensitiveDict

from ..keepalive import KeepAlive, send_management


class _Response(oss.HttpResponse):
    """A fully read answer (management answers are small)."""

    def __init__(self, request: Any, status: int, reason: str, headers: list[tuple[str, str]],
                 content: bytes, truncated: dict[str, int] | None = None) -> None:
        self._request, self._status, self._reason = request, status, reason
        self.truncated = truncated or {}  # what was not kept of the head (limits.py)
        self._headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        for name, value in headers:  # repeated lines are joined, as requests does
            old = self._headers.get(name)
            self._headers[name] = value if old is None else f"{old}, {value}"
        self._content = content

    request = property(lambda self: self._request)
    status_code = property(lambda self: self._status)
    headers = property(lambda self: self._headers)
    reason = property(lambda self: self._reason)
    content = property(lambda self: self._content)
    is_closed = property(lambda self: True)
    is_stream_consumed = property(lambda self: True)

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def read(self) -> bytes:
        """The whole body."""
        return self._content

    def close(self) -> None:
        """Nothing to release: the body was read with the answer."""

    def iter_bytes(self, **kwargs: Any) -> Iterator[bytes]:
        """The body in one piece."""
        yield self._content


class HttpClientTransport(oss.HttpClient):
    """Keep-alive connections, one per scheme and host, for the SDK's calls.

    Each call (its retry on a stale connection included) ends by limits.EXCHANGE_DEADLINE_S;
    the answer's head is kept within the header caps, and a body over MANAGEMENT_BODY_LIMIT
    is a transport error (the SDK must parse it whole, so it is not cut).
    """

    def __init__(self, timeout: float) -> None:
        self.pool = KeepAlive(timeout)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> oss.HttpResponse:
        """Send the signed request; transport failures become the SDK's own errors."""
        body = _bytes(request.body)
        try:
            answer = send_management(self.pool, self.timeout, request.method, request.url,
                                     request.headers, body)
        except (OSError, http.client.HTTPException) as exc:
            raise exceptions.RequestError(error=exc) from None
        return _Response(request, answer.status, answer.reason, answer.headers,
                         answer.content, answer.truncated)

    def open(self) -> None:
        """Connections open on first use."""

    def close(self) -> None:
        """Close every kept-alive connection."""
        self.pool.close()


def _bytes(body: Any) -> bytes | None:
    """The SDK hands over bytes, str, or a readable (uploads); send bytes."""
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return body.read()
    return b"".join(body)
