"""HTML of the matrix page: inline CSS and SVG, no script, every input string escaped and bounded.

Everything here comes from results.json, i.e. from a target: it is cleaned (control characters,
lone surrogates), clipped and passed through html.escape before it reaches the page. Anchors are
built from row and column numbers only, never from input text.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import limits

if TYPE_CHECKING:
    from .matrix import Column, Matrix, Row

# Display order of cell statuses, with the short label each cell shows next to its colour.
LABELS = {"pass": "pass", "warned": "warned", "known": "known deviation", "new": "new deviation",
          "unexpected": "unexpected pass", "error": "error", "notrun": "not run"}
PASSING = ("pass", "warned")  # should-level warnings do not fail an item
# The page's caps live in conformance/limits.py with every other bound on target text.
TRANSCRIPT_LIMIT = limits.MATRIX_TRANSCRIPT  # bytes of one escaped transcript on the page
DETAIL_BUDGET = limits.MATRIX_DETAILS  # bytes of all detail bodies
TEXT_LIMIT = limits.MATRIX_TEXT  # characters of a title, name or reason
VALUE_LIMIT = limits.MATRIX_VALUE  # characters of an expected/actual value
CHECK_ROWS = limits.MATRIX_CHECK_ROWS  # failing checks listed per cell
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PALETTE = ("#1f6feb", "#bf8700", "#8250df", "#1a7f37", "#cf222e", "#57606a")

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em;color:#1f2328}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1em;margin:1.2em 0 .3em}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:.25em .5em;vertical-align:top}
thead th{position:sticky;top:0;background:#f6f8fa;z-index:1}
.matrix th[scope=row]{text-align:left;font-weight:normal;max-width:48em}
.matrix tr.area th{background:#eaeef2;text-align:left}.t{color:#57606a;font-size:.92em}
td.c{text-align:center;white-space:nowrap}td.c a{color:inherit}
.tag{display:inline-block;padding:0 .4em;border-radius:3px}
.s-pass{background:#dafbe1;color:#116329}.s-warned{background:#fff8c5;color:#7d4e00}
.s-known{background:#ddf4ff;color:#0a3069}.s-new{background:#ffd8d3;color:#a40e26;font-weight:bold}
.s-unexpected{background:#fbefff;color:#6e40c9;font-weight:bold}
.s-error{background:#4c2328;color:#fff;font-weight:bold}.s-notrun{background:#f6f8fa;color:#6e7781}
small{display:block;font-size:.8em;font-weight:normal}
details{border:1px solid #d0d7de;border-radius:4px;margin:.3em 0;padding:.2em .6em}
details:target,tr:target,section:target{outline:3px solid #0969da}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.5em;max-height:32em;
overflow:auto}
.checks td{font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere}
.note{color:#57606a}svg text{font-size:12px;fill:#1f2328}
"""


def clean(value: Any) -> str:
    """Any JSON value as printable text: no C0/C1 controls, no lone surrogates."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def esc(value: Any, limit: int = TEXT_LIMIT) -> str:
    """Cleaned, clipped to `limit` characters (with an ellipsis) and HTML-escaped."""
    text = clean(("" if value is None else str(value))[:limit + 1])  # clip before the work
    return html.escape(text if len(text) <= limit else text[:limit] + "…")


def clip_escaped(text: str, limit: int = TRANSCRIPT_LIMIT) -> str:
    """Escape `text` and bound the result to `limit` UTF-8 bytes, ending with a cut marker."""
    escaped = html.escape(clean(text[:limit + 1]))  # more characters can only be cut away
    data = escaped.encode("utf-8")
    if len(data) <= limit:
        return escaped
    cut = data[:limit].decode("utf-8", "ignore")
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:  # never leave half an entity such as "&l"
        cut = cut[:amp]
    return cut + html.escape(f"\n<< cut at {limit} bytes >>")


def transcript(exchange: Any, limit: int = TRANSCRIPT_LIMIT) -> str:
    """An exchange dict of results.json as HTTP/1.1 text, stopped soon after `limit` chars."""
    if not isinstance(exchange, dict):
        return ""
    req = exchange.get("request") if isinstance(exchange.get("request"), dict) else {}
    resp = exchange.get("response")

    def lines() -> Iterable[str]:
        yield f"{clean(req.get('method'))} {clean(req.get('target'))} HTTP/1.1"
        yield from _header_lines(req.get("headers"))
        yield ""
        if req.get("body"):
            yield from (clean(req["body"])[:limit + 1], "")
        if exchange.get("error"):
            yield f"<< no HTTP answer: {clean(exchange['error'])[:limit + 1]} >>"
        elif isinstance(resp, dict):
            yield f"HTTP/1.1 {clean(resp.get('status'))} {clean(resp.get('reason'))}".rstrip()
            cut = resp.get("truncated") if isinstance(resp.get("truncated"), dict) else {}
            note = limits.truncation_note({str(k)[:40]: v for k, v in list(cut.items())[:8]
                                           if type(v) is int})
            if note:  # what the suite did not keep, first: a long head is cut on the page
                yield clean(note)
            yield from _header_lines(resp.get("headers"))
            yield ""
            if resp.get("body"):
                yield clean(resp["body"])[:limit + 1]
            if resp.get("body_truncated") is True:
                yield "<< body truncated by the suite when recorded >>"

    parts, size = [], 0
    for line in lines():  # stop early: a hostile answer may carry megabytes
        parts.append(line[:limit + 1])
        size += len(parts[-1]) + 1
        if size > limit:
            break
    return "\n".join(parts)


def _header_lines(headers: Any) -> Iterable[str]:
    for pair in headers if isinstance(headers, list) else ():
        if isinstance(pair, list) and len(pair) == 2:
            yield f"{clean(pair[0])}: {clean(pair[1])}"
        else:
            yield clean(pair)


def render(m: Matrix) -> str:
    """The whole page; the same inputs give the same bytes."""
    columns, rows = m.columns, m.rows
    title = "CORS conformance matrix: " + ", ".join(c.label for c in columns)
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n",
        f"<h1>CORS conformance matrix</h1>\n<p>{len(rows)} item(s) across {len(columns)} "
        "target(s). Each cell links to that target's exchange for the item.</p>\n",
        _targets(columns, m.shadowed), _legend(), _chart(columns, m.areas),
        _table(columns, rows, m.areas),
        _details(columns, rows), "</body></html>\n",
    ]
    return "".join(parts)


def _targets(columns: list[Column], shadowed: int) -> str:
    head = "".join(f"<th>{esc(LABELS[s])}</th>" for s in LABELS)
    out = ['<h2>Targets</h2>\n<table class="targets"><thead><tr><th>column</th><th>target</th>'
           f"<th>run</th>{head}</tr></thead><tbody>\n"]
    for col in columns:
        t, doc = col.target, col.doc
        facts = " · ".join(esc(t.get(k), 120) for k in ("dialect", "endpoint", "signature_version")
                           if t.get(k) not in (None, ""))
        run = (f"suite {esc(doc.get('suite_version'), 40)}, {esc(doc.get('generated_at'), 40)}, "
               f"cases {esc(doc.get('case_set_digest'), 12)}")
        counts = "".join(f'<td class="c s-{s}">{col.counts[s]}</td>' for s in LABELS)
        out.append(f"<tr><th>{esc(col.label)}</th><td>{facts}</td><td>{run}</td>{counts}</tr>\n")
    out.append("</tbody></table>\n")
    digests = {clean(c.doc.get("case_set_digest")) for c in columns}
    if len(digests) > 1:
        out.append('<p class="note">The targets ran different case sets: an item a target '
                   "did not run shows as not run.</p>\n")
    if shadowed:
        out.append(f'<p class="note">{shadowed} record(s) are not shown: their results.json '
                   "held the same item twice (two dialects or a repeated node id); the first "
                   "by node id is shown.</p>\n")
    return "".join(out)


def _legend() -> str:
    tags = " ".join(f'<span class="tag s-{s}">{esc(label)}</span>' for s, label in LABELS.items())
    return f'<p class="legend">Legend: {tags}</p>\n'


def _chart(columns: list[Column], stats: dict[str, list[tuple[int, int]]]) -> str:
    """Pass rate per area: one group per area, one labelled bar per target."""
    bar_x, bar_w, line, head, gap = 190, 380, 18, 22, 8
    height = sum(head + line * len(columns) + gap for _ in stats) + gap
    out = [f'<h2>Pass rate by area</h2>\n<svg xmlns="http://www.w3.org/2000/svg" width="760" '
           f'height="{height}" viewBox="0 0 760 {height}" role="img" class="chart">'
           "<title>Items passed per area and target</title>\n"]
    y = gap
    for a, (area, per) in enumerate(stats.items()):
        out.append(f'<g class="area"><a href="#a-{a}"><text x="4" y="{y + 15}" '
                   f'font-weight="bold">{esc(area, 60)}</text></a>\n')
        y += head
        for i, (col, (passed, ran)) in enumerate(zip(columns, per, strict=True)):
            width = bar_w * passed // ran if ran else 0
            value = f"{passed}/{ran} ({100 * passed // ran}%)" if ran else "not run"
            out.append(
                f'<text x="14" y="{y + 13}">{esc(col.label, 26)}</text>'
                f'<rect x="{bar_x}" y="{y + 2}" width="{bar_w}" height="{line - 5}" '
                'fill="#eaeef2"/>'
                f'<rect x="{bar_x}" y="{y + 2}" width="{width}" height="{line - 5}" '
                f'fill="{_PALETTE[i % len(_PALETTE)]}"/>'
                f'<text x="{bar_x + bar_w + 8}" y="{y + 13}" class="value">{value}</text>\n')
            y += line
        out.append("</g>\n")
        y += gap
    out.append("</svg>\n")
    return "".join(out)


def _table(columns: list[Column], rows: list[Row], stats: dict[str, Any]) -> str:
    heads = "".join(f'<th scope="col">{esc(c.label)}</th>' for c in columns)
    out = [f'<h2>Items</h2>\n<table class="matrix"><thead><tr><th scope="col">item</th>{heads}'
           "</tr></thead><tbody>\n"]
    areas = {area: n for n, area in enumerate(stats)}  # anchor numbers, as in the chart
    sizes, area = Counter(row.area for row in rows), None
    for r, row in enumerate(rows):
        if row.area != area:
            area = row.area
            out.append(f'<tr class="area" id="a-{areas[area]}"><th colspan="{len(columns) + 1}">'
                       f"{esc(area)} ({sizes[area]} item(s))</th></tr>\n")
        cells = []
        for c, (rec, status) in enumerate(zip(row.records, row.statuses, strict=True)):
            label = esc(LABELS[status])
            if rec is None or status == "notrun":
                cells.append(f'<td class="c s-{status}">{label}</td>')
                continue
            impact = rec.get("impact") if status in ("new", "known", "unexpected") else None
            small = f"<small>{esc(impact, 40)}</small>" if impact else ""
            cells.append(f'<td class="c s-{status}"><a href="#x-{r}-{c}">{label}</a>{small}</td>')
        out.append(f'<tr id="r-{r}"><th scope="row"><a href="#i-{r}"><code>{esc(row.key)}</code>'
                   f'</a><div class="t">{esc(row.title)} — {esc(row.preflight)}</div></th>'
                   f"{''.join(cells)}</tr>\n")
    out.append("</tbody></table>\n")
    return "".join(out)


def _details(columns: list[Column], rows: list[Row]) -> str:
    """One section per row, one <details> per target that ran it, within DETAIL_BUDGET."""
    cells = [(r, c) for r, row in enumerate(rows) for c, status in enumerate(row.statuses)
             if status != "notrun"]
    bodies: dict[tuple[int, int], str] = {}
    used = omitted = 0
    # Problems get the budget first; passing exchanges fill what is left, in row order.
    for r, c in sorted(cells, key=lambda rc: (rows[rc[0]].statuses[rc[1]] == "pass", rc)):
        body = _body(rows[r].records[c] or {})
        size = len(body.encode("utf-8"))
        if used + size > DETAIL_BUDGET:
            omitted += 1
            body = '<p class="note">left out (page budget); see results.json</p>'
        else:
            used += size
        bodies[r, c] = body
    out = ["<h2>Exchanges</h2>\n"]
    if omitted:
        out.append(f'<p class="note">The details of {omitted} cell(s) are left out: the page '
                   f"keeps at most {DETAIL_BUDGET // (1024 * 1024)} MiB of them.</p>\n")
    for r, row in enumerate(rows):
        out.append(f'<section id="i-{r}"><h3><a href="#r-{r}"><code>{esc(row.key)}</code></a>'
                   "</h3>\n")
        for c, col in enumerate(columns):
            if (r, c) not in bodies:
                continue
            status, rec = row.statuses[c], row.records[c] or {}
            opened = "" if status == "pass" else " open"  # problems need no click
            out.append(f'<details id="x-{r}-{c}"{opened}><summary><span class="tag s-{status}">'
                       f"{esc(LABELS[status])}</span> {esc(col.label)} "
                       f"<code>{esc(rec.get('dialect'), 20)}</code></summary>{bodies[r, c]}"
                       "</details>\n")
        out.append("</section>\n")
    return "".join(out)


def _body(rec: dict) -> str:
    """Browser verdict, known-deviation reason, error, failing checks, transcript."""
    out = []
    browser = rec.get("browser") if isinstance(rec.get("browser"), dict) else None
    if browser is not None:
        reason = f" ({esc(browser['reason'])})" if browser.get("reason") else ""
        impact = f"; impact {esc(rec['impact'], 40)}" if rec.get("impact") else ""
        out.append(f"<p>browser: expected {esc(browser.get('expected') or 'not stated', 40)}; "
                   f"computed {esc(browser.get('computed') or 'not computable', 40)}"
                   f"{reason}{impact}</p>")
    if rec.get("known_deviation"):
        out.append(f"<p>known deviation: {esc(rec['known_deviation'])}</p>")
    if rec.get("error"):
        out.append(f"<p>error:</p><pre>{clip_escaped(str(rec['error']), 2048)}</pre>")
    raw = rec.get("checks") if isinstance(rec.get("checks"), list) else []
    checks = [c for c in raw if isinstance(c, dict)]
    failing = [c for c in checks if c.get("ok") is not True]
    if failing:
        out.append('<table class="checks"><thead><tr><th></th><th>check</th><th>expected</th>'
                   "<th>actual</th><th>level</th></tr></thead><tbody>")
        for check in failing[:CHECK_ROWS]:
            level = clean(check.get("level"))
            word = {"must": "FAIL", "should": "WARN", "may": "note"}.get(level, "FAIL")
            spec = check.get("spec") if isinstance(check.get("spec"), list) else []
            out.append(f"<tr><td>{word}</td>"
                       f"<td>{esc(clean(check.get('subject')).removeprefix('header:'), 80)}</td>"
                       f"<td>{esc(check.get('expected'), VALUE_LIMIT)}</td>"
                       f"<td>{esc(check.get('actual'), VALUE_LIMIT)}</td>"
                       f"<td>{esc(' '.join([level, *map(clean, spec[:8])]), 120)}</td></tr>")
        more = len(failing) - CHECK_ROWS
        out.append("</tbody></table>" + (f'<p class="note">+{more} more</p>' if more > 0 else ""))
    out.append(f'<p class="note">{len(checks) - len(failing)} of {len(checks)} check(s) ok</p>')
    text = transcript(rec.get("exchange"))
    if text:
        out.append(f"<pre>{clip_escaped(text)}</pre>")
    return "".join(out)
