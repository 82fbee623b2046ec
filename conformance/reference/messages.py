"""The request and response shapes the reference endpoint's operations work on."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from .signing import SigningInput

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [v6]:port
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def _is_ip_or_localhost(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


def resolve_target(host: str, path: str) -> tuple[str | None, str | None]:
    """(bucket, key) for a request; key is None for bucket- and service-level requests.

    `Host: <bucket>.<anything>` is virtual-hosted unless the host is an IP literal or `localhost`,
    where the SDKs use path-style `/<bucket>/<key>` (OSS-81/82).
    """
    hostname = _hostname(host)
    label = hostname.partition(".")[0]
    if "." in hostname and not _is_ip_or_localhost(hostname) and BUCKET_NAME.match(label):
        return label, unquote(path[1:]) or None
    first, _, rest = path[1:].partition("/")
    return unquote(first) or None, unquote(rest) or None


def split_query(query: str) -> tuple[tuple[str, str], ...]:
    """Raw `key=value` pairs in wire order, still percent-encoded; empty parts dropped."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return tuple(pairs)


@dataclass
class Request:
    """One parsed HTTP request, addressed to a bucket and key."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    bucket: str | None
    key: str | None

    def header(self, name: str) -> str | None:
        """A header's values joined as HTTP combines repeated lines, or None when absent."""
        wanted = name.lower()
        values = [v.strip() for k, v in self.headers if k.lower() == wanted]
        return ", ".join(values) if values else None

    @property
    def params(self) -> dict[str, str]:
        """Query parameters, decoded; the first occurrence of a repeated key wins."""
        params: dict[str, str] = {}
        for key, value in self.query:
            params.setdefault(unquote(key), unquote(value))
        return params

    @property
    def host(self) -> str:
        """The Host header, or the loopback address when a raw client left it out."""
        return self.header("Host") or "127.0.0.1"

    def signing_input(self) -> SigningInput:
        """The parts a signature covers: lower-case header names, repeated values joined by `,`."""
        headers: dict[str, str] = {}
        for name, value in self.headers:
            lower, value = name.lower(), value.strip()
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
        return SigningInput(self.method, self.bucket, self.key, self.query, headers)


@dataclass
class Response:
    """One answer; `content_length` overrides len(body) for HEAD, which announces a size unsent."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_length: int | None = None

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitive, or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)
