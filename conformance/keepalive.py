"""Kept-alive http.client connections, one per scheme and host: the probes' and the SDK's."""

from __future__ import annotations

import http.client

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
