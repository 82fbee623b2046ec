"""Render a Verdict as an aligned text diff (terminal) and an escaped HTML table (report)."""

from __future__ import annotations

import html
from typing import Any

from ..expect import CheckResult, Verdict, describe, effective_level
from ..limits import SHOWN_CELL, SHOWN_ERROR, clip

_MARK = {True: "ok", False: "FAIL"}


def subject_label(result: CheckResult) -> str:
    """`status`, `error_code`, `browser` or the header name."""
    return result.check.header or result.check.subject


def _verdict_word(r: CheckResult) -> str:
    if r.ok:
        return "ok"
    return {"must": "FAIL", "should": "WARN", "may": "note"}[effective_level(r.check)]


def _clip(text: str) -> str:
    return clip(text, SHOWN_CELL)


def diff_rows(verdict: Verdict) -> list[tuple[str, str, str, str, str]]:
    """(verdict, subject, expected, actual, level + spec) per check, mismatches first."""
    ordered = sorted(verdict.results, key=lambda r: r.ok)
    return [
        (_verdict_word(r), subject_label(r), describe(r.check.matcher), _clip(r.actual),
         f"{r.check.level} {' '.join(r.check.spec)}".strip())
        for r in ordered
    ]


def browser_line(verdict: Verdict) -> str:
    """The three browser views in one line, with the impact of any failure."""
    c = verdict.browser_computed
    computed = "not computable" if c is None else (
        f"{'allowed' if c.allowed else 'blocked'} ({c.reason})")
    expected = verdict.browser_expected or "not stated"
    line = (f"browser: expected {expected}; computed {computed}; "
            f"{observed_text(verdict.browser_observed)}impact {verdict.impact}")
    return clip(line, SHOWN_ERROR)  # a reason may quote what a target sent


def observed_text(obs: Any) -> str:
    """What Chromium did, for the browser line ('' when no browser ran)."""
    if obs is None:
        return ""
    if obs.observed is None:
        return f"observed: not observable ({obs.reason}); "
    sent = "preflight sent" if obs.preflight_sent else "no preflight"
    reason = obs.reason.split("blocked by CORS policy: ", 1)[-1]  # the URL and origin are known
    return f"observed {obs.observed} by Chromium ({sent}; {reason}); "


def diff_text(verdict: Verdict) -> str:
    """Plain aligned diff: one line per check, then the browser line."""
    rows = [("", "check", "expected", "actual", "level")] + diff_rows(verdict)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        for row in rows
    ]
    if verdict.transport_error:
        lines.insert(0, f"no HTTP answer: {clip(verdict.transport_error, SHOWN_ERROR)}")
    lines.append(browser_line(verdict))
    if verdict.suite_bug:
        lines.append(f"SUITE BUG: {verdict.suite_bug}")
    return "\n".join(line.rstrip() for line in lines)


def all_ok(verdict: Verdict) -> bool:
    """Every check passed and the answer came: nothing to highlight."""
    return (not verdict.transport_error and not verdict.suite_bug
            and all(r.ok for r in verdict.results))


def checks_text(verdict: Verdict) -> str:
    """An all-ok verdict as text: `check: expected` per check, then the browser line.

    The report's compact form for passing items (a third of the table's size in report.html):
    every row is ok, so no verdict column; the level is said once when every check shares it;
    and the actual value is written only where it differs from the expected one.
    """
    rows = [(subject_label(r), describe(r.check.matcher), _clip(r.actual),
             f"{r.check.level} {' '.join(r.check.spec)}".strip()) for r in verdict.results]
    levels = {row[3] for row in rows}
    shared = levels.pop() if len(levels) == 1 else None
    lines = [f"all {len(rows)} checks ok" + (f", each {shared}" if shared else "")
             + " (expected -> actual where they differ)"]
    for subject, expected, actual, level in rows:
        line = f"{subject}: {expected}" + (f" -> {actual}" if actual != expected else "")
        lines.append(line if shared else f"{line} ({level})")
    lines.append(browser_line(verdict))
    return "\n".join(lines)


def diff_html(verdict: Verdict) -> str:
    """The diff as an HTML table; every value is escaped (targets are untrusted)."""
    e = html.escape
    body = "".join(
        f'<tr class="cc-{e(v.lower())}"><td>{e(v)}</td><td>{e(s)}</td><td><code>{e(x)}</code>'
        f"</td><td><code>{e(a)}</code></td><td>{e(lv)}</td></tr>"
        for v, s, x, a, lv in diff_rows(verdict)
    )
    head = "<tr><th></th><th>check</th><th>expected</th><th>actual</th><th>level</th></tr>"
    return (
        f'<table class="cc-diff">{head}{body}</table>'
        f'<p class="cc-browser">{e(browser_line(verdict))}</p>'
    )
