"""An Exchange: one request and its answer, exactly as they crossed the wire."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .limits import (
    BODY_LIMIT,
    SHOWN_BODY,
    SHOWN_CALLS,
    SHOWN_HEADERS,
    SHOWN_VALUE,
    clip,
    cut_marker,
    truncation_note,
)

__all__ = ["BODY_LIMIT", "Exchange", "shown_headers", "transcripts"]


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
    # what the suite did not keep of the answer (limits.py): header lines dropped, header and
    # body bytes not kept (-1: some, length unknown); empty when the answer was kept whole
    truncated: dict[str, int] = field(default_factory=dict)

    def header_values(self, name: str) -> list[str]:
        """Every value of a response header, case-insensitive, in wire order."""
        wanted = name.lower()
        return [v for k, v in self.response_headers if k.lower() == wanted]

    def header(self, name: str) -> str | None:
        """A response header's values joined as HTTP combines them, or None when absent."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def transcript(self) -> str:
        """The exchange as HTTP/1.1 text within the display caps, each cut marked."""
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in shown_headers(self.request_headers)]
        lines.append("")
        if self.request_body:
            lines += [clip(self.request_body, SHOWN_BODY), ""]
        if self.error:
            lines.append(f"<< no HTTP answer: {self.error} >>")
            return "\n".join(lines)
        lines.append(f"HTTP/1.1 {self.status} {clip(self.reason, SHOWN_VALUE)}".rstrip())
        lines += [f"{k}: {v}" for k, v in shown_headers(self.response_headers)]
        lines.append("")
        if self.body:
            lines.append(clip(self.body.decode("utf-8", "replace"), SHOWN_BODY))
        note = truncation_note(self.truncated)
        if note:
            lines.append(note)
        elif self.body_truncated:
            lines.append(f"<< body truncated at {BODY_LIMIT} bytes >>")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain data for results.json and report extras."""
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "target": self.target,
                "headers": [list(h) for h in shown_headers(self.request_headers)],
                "raw": self.raw,
                "body": clip(self.request_body, SHOWN_BODY),
            },
            "response": None if self.error else {
                "status": self.status,
                "reason": clip(self.reason, SHOWN_VALUE),
                "headers": [list(h) for h in shown_headers(self.response_headers)],
                "body": clip(self.body.decode("utf-8", "replace"), SHOWN_BODY),
                "body_truncated": self.body_truncated,
                "truncated": self.truncated,
            },
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


def shown_headers(headers: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Header lines within the display caps: values cut, then lines after SHOWN_HEADERS.

    The last line shown past the cap is ("…", "[cut: N more header lines]").
    """
    size, rest = 0, 0
    for name, value in headers:
        if size > SHOWN_HEADERS:
            rest += 1
            continue
        value = clip(value, SHOWN_VALUE)
        size += len(name) + len(value) + 2
        yield name, value
    if rest:
        yield "…", cut_marker(rest, "header lines").removeprefix("… ")


def transcripts(exchanges: list[Exchange]) -> str:
    """Several exchanges' transcripts, at most SHOWN_CALLS of them (the last ones are cut)."""
    text = "\n\n".join(ex.transcript() for ex in exchanges[:SHOWN_CALLS])
    if len(exchanges) > SHOWN_CALLS:
        text += "\n\n" + cut_marker(len(exchanges) - SHOWN_CALLS, "calls")
    return text
