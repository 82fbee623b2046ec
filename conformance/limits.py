"""Every bound on what a target can make the suite wait for, keep, or write: one place.

Targets are untrusted. A hostile one can answer slowly (one byte every few seconds), with
thousands of header lines, with header values of megabytes, or with a body that never ends.
Two layers of caps keep a run finite and its reports small:

- Capture (`bounded_http`): what the suite reads and keeps in memory, and what the checks see.
  Each exchange has a total deadline; the response head and body are cut at fixed sizes and
  the Exchange records what was cut (`Exchange.truncated`).
- Display (`Exchange.transcript`, `Exchange.to_dict`, the report modules): what any output
  (terminal, junit.xml, report.html, results.json, matrix.html) shows of one exchange or
  value. Whatever is cut ends with a marker that says how much: "… [cut: 59,000 more bytes]".

docs/limits.md lists these values and the report sizes they lead to.
"""

from __future__ import annotations

# -- time ---------------------------------------------------------------------------------
EXCHANGE_DEADLINE_S = 30.0  # one exchange, connect to last body byte (a probe or an SDK call)
READ_TIMEOUT_S = 10.0  # one read of the socket; the deadline above bounds their sum

# -- capture: what is read and kept --------------------------------------------------------
MAX_HEADERS = 200  # response header lines kept; later lines are dropped and counted
HEADER_VALUE_LIMIT = 16 * 1024  # characters of one header value kept
HEADERS_TOTAL_LIMIT = 64 * 1024  # characters of all kept header names and values together
STATUS_LINE_LIMIT = 1024  # characters of the status line kept (the reason phrase is cut)
HEAD_READ_LIMIT = 16 * 1024 * 1024  # bytes of a response head read before giving up on it
BODY_LIMIT = 16 * 1024  # bytes of a probe's response body kept
MANAGEMENT_BODY_LIMIT = 1024 * 1024  # bytes of an SDK call's answer (it must be parsed whole)

# -- display: what every output shows -------------------------------------------------------
SHOWN_VALUE = 1024  # characters of one header value in a transcript or in results.json
SHOWN_CELL = 200  # characters of a value in one cell of a diff (terminal, report.html)
SHOWN_HEADERS = 4 * 1024  # characters of one exchange's header lines together (each side)
SHOWN_BODY = 4 * 1024  # characters of one request or response body
SHOWN_CALLS = 8  # management calls shown per item (the rest are counted)
SHOWN_ERROR = 2 * 1024  # characters of one error message that may quote a target
SHOWN_STRING = 32 * 1024  # characters of any one string of a results.json record
SHOWN_EXTRA = 16 * 1024  # characters of one part of an item's extras in report.html
FAILURE_TEXT_LIMIT = 16 * 1024  # characters of one item's failure text (terminal, junit)

# -- matrix.html (read from results.json files, which anyone may hand it) -------------------
MATRIX_TRANSCRIPT = 8 * 1024  # bytes of one escaped transcript on the page
MATRIX_DETAILS = 8 * 1024 * 1024  # bytes of all detail bodies: 10k items x N targets stays sane
MATRIX_TEXT = 300  # characters of a title, name or reason
MATRIX_VALUE = 200  # characters of an expected/actual value, as in the report's diff table
MATRIX_CHECK_ROWS = 20  # failing checks listed per cell


def cut_marker(more: int, unit: str = "bytes") -> str:
    """The note that ends cut text: `… [cut: 59,000 more bytes]`."""
    return f"… [cut: {more:,} more {unit}]"


def clip(text: str, limit: int, unit: str = "characters") -> str:
    """`text` if it fits in `limit` characters, else its start and a cut marker."""
    if len(text) <= limit:
        return text
    return text[:limit] + cut_marker(len(text) - limit, unit)


def truncation_note(truncated: dict[str, int]) -> str:
    """One line saying what the suite did not keep of an answer, or '' when nothing.

    A count of -1 means "some, how many unknown" (a body without a declared length).
    """
    if not truncated:
        return ""
    words = {"headers": "header line(s) dropped", "header_bytes": "header byte(s) not kept",
             "body_bytes": "body byte(s) not read"}
    parts = [f"{n:,} {words.get(k, k)}" if n > 0 else f"{k}: more, length unknown"
             for k, n in truncated.items() if n]
    return f"<< answer cut when read: {', '.join(parts)} >>" if parts else ""
