"""An Exchange: one request and its answer, exactly as they crossed the wire."""

from __future__ import annotations

from dataclasses import dataclass, field

BODY_LIMIT = 16 * 1024  # bytes of a response body kept: targets are untrusted


@dataclass
class Exchange:
    """One recorded HTTP exchange. Header lists keep order and duplicates."""

    method: str
    url: str
    target: str  # the request-target as sent, e.g. /bucket/key
    request_headers: list[tuple[str, str]]
    status: int = 0
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    body_truncated: bool = False
    elapsed_ms: float = 0.0
    error: str | None = None  # transport failure (refused, timeout, garbled answer)
    raw: bool = False  # sent byte-for-byte by the raw mode
    request_body: str = ""  # management calls only (the CORS XML sent); preflights have none

    def header_values(self, name: str) -> list[str]:
        """Every value of a response header, case-insensitive, in wire order."""
        wanted = name.lower()
        return [v for k, v in self.response_headers if k.lower() == wanted]

    def header(self, name: str) -> str | None:
        """A response header's values joined as HTTP combines them, or None when absent."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def transcript(self) -> str:
        """The exchange as HTTP/1.1 text, body bounded and decoded leniently."""
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in self.request_headers]
        lines.append("")
        if self.request_body:
            lines += [self.request_body, ""]
        if self.error:
            lines.append(f"<< no HTTP answer: {self.error} >>")
            return "\n".join(lines)
        lines.append(f"HTTP/1.1 {self.status} {self.reason}".rstrip())
        lines += [f"{k}: {v}" for k, v in self.response_headers]
        lines.append("")
        if self.body:
            lines.append(self.body.decode("utf-8", "replace"))
            if self.body_truncated:
                lines.append(f"<< body truncated at {BODY_LIMIT} bytes >>")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain data for results.json and report extras."""
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "target": self.target,
                "headers": [list(h) for h in self.request_headers],
                "raw": self.raw,
                "body": self.request_body,
            },
            "response": None if self.error else {
                "status": self.status,
                "reason": self.reason,
                "headers": [list(h) for h in self.response_headers],
                "body": self.body.decode("utf-8", "replace"),
                "body_truncated": self.body_truncated,
            },
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }
