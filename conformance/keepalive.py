"""Kept-alive http.client connections, one per scheme and host: the probes' and the SDK's."""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import limits
from .bounded_http import BoundedResponse, Deadline, arm, read_body

# What a kept-alive socket the server already closed fails with: worth one fresh attempt.
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class KeepAlive:
    """Opens a connection per (scheme, host) on first use and keeps it until closed."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._connections: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def __len__(self) -> int:
        return len(self._connections)

    def connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        """The connection to `netloc` (HTTPS when `scheme` says so); TLS verified by default."""
        key = (scheme, netloc)
        if key not in self._connections:
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            self._connections[key] = cls(netloc, timeout=self.timeout)
        return self._connections[key]

    def close(self) -> None:
        """Close every kept-alive connection."""
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()


@dataclass(frozen=True)
class ManagementAnswer:
    """A management call's answer, read whole: what a dialect's SDK response is built from."""

    status: int
    reason: str  # cut to limits.SHOWN_VALUE
    headers: list[tuple[str, str]]  # the kept head lines, in wire order with duplicates
    content: bytes
    truncated: dict[str, int]  # what was not kept of the head (limits.py)


def send_management(pool: KeepAlive, timeout: float, method: str, url: str,
                    headers: Mapping[str, Any], body: bytes | None) -> ManagementAnswer:
    """Send an SDK's signed request over `pool` within limits.EXCHANGE_DEADLINE_S.

    The answer's head is kept within the header caps; a body over MANAGEMENT_BODY_LIMIT is
    an http.client.HTTPException (an SDK must parse it whole, so it is not cut). Transport
    failures are raised as they are (OSError, HTTPException), for the dialect to turn into
    its SDK's own errors; the connection is closed first.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {k: v for k, v in headers.items() if v is not None}
    deadline = Deadline(limits.EXCHANGE_DEADLINE_S, timeout)
    for attempt in (1, 2):  # a kept-alive socket the server closed fails once; retry fresh
        conn = pool.connection(parts.scheme, parts.netloc)
        try:
            return _exchange(conn, method, target, sent, body, deadline)
        except STALE:
            conn.close()
            if attempt == 2:
                raise
        except BaseException:  # e.g. Ctrl-C mid-answer: the restore that follows needs a
            conn.close()  # clean connection, not one still waiting for this answer
            raise
    raise AssertionError("unreachable: the second attempt returns or raises")


def _exchange(conn: http.client.HTTPConnection, method: str, target: str,
              headers: dict[str, Any], body: bytes | None,
              deadline: Deadline) -> ManagementAnswer:
    arm(conn, deadline)
    conn.request(method, target, body=body, headers=headers)  # adds Content-Length
    answer: BoundedResponse = conn.getresponse()  # type: ignore[assignment]
    content, cut = read_body(answer, limits.MANAGEMENT_BODY_LIMIT)
    if "body_bytes" in cut:
        raise http.client.HTTPException(
            f"answer body over {limits.MANAGEMENT_BODY_LIMIT:,} bytes")
    if answer.will_close or cut:  # a cut head may have framed the body: start afresh
        conn.close()
    return ManagementAnswer(answer.status, answer.reason[:limits.SHOWN_VALUE],
                            answer.head.headers, content, cut)
