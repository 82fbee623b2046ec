"""report.html's own parts around pytest-html's table: title, headline counts, row classes, clauses.

pytest-html counts phases (a provisioning error is "Failed", a known deviation "XFailed", and
"0 Errors" can sit beside items the suite classifies `error`), so the numbers heading the page
are the suite's, computed from the item records. Everything that comes from a target or a
file passes through `html.escape` (and a clip) here; ids and hrefs are built from clause ids
that match the index's pattern, never from free text.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from urllib.parse import urlsplit

from .. import __version__
from ..limits import SHOWN_CELL, SHOWN_ERROR, clip
from ._matrix_html import clean
from .results import impact_counts

LABEL_LIMIT = 60  # characters of a target's label (title, matrix column)

# Row kind -> the label its Classification cell shows (CSS classes are `cc-k-<kind>`).
KINDS = {"new": "new deviation", "error": "error", "suitebug": "suite bug",
         "unexpected": "unexpected pass", "known": "known deviation", "warned": "warned",
         "skipped": "skipped", "pass": "pass"}
_BY_CLASSIFICATION = {"new deviation": "new", "error": "error", "suite bug": "suitebug",
                      "unexpected pass": "unexpected", "known deviation": "known",
                      "skipped": "skipped", "pass": "pass"}
# pytest-html's filter labels, saying what its counters count (phases and pytest outcomes).
OUTCOME_LABELS = {"failed": "Failed (new deviations and errors)",
                  "passed": "Passed (warned included)",
                  "xfailed": "Known deviations", "xpassed": "Unexpected passes",
                  "error": "Setup/teardown errors", "skipped": "Skipped"}
_PALETTE = {  # kind -> (row background, accent): the matrix page's colours
    "new": ("#ffebe9", "#cf222e"), "error": ("#f6e0e3", "#4c2328"),
    "suitebug": ("#fbefff", "#6e40c9"), "unexpected": ("#fbefff", "#8250df"),
    "known": ("#ddf4ff", "#0969da"), "warned": ("#fff8c5", "#9a6700"),
    "skipped": ("#f6f8fa", "#6e7781"), "pass": ("#ffffff", "#1a7f37")}


def _row_css() -> str:
    rules = []
    for kind, (background, accent) in _PALETTE.items():
        rules.append(f"tr.collapsible:has(>td.cc-k-{kind})>td{{background:{background}}}"
                     f"tr.collapsible:has(>td.cc-k-{kind})>td:first-child"
                     f"{{box-shadow:inset 5px 0 {accent}}}"
                     f"td.cc-k-{kind},li.cc-k-{kind}>b{{color:{accent}}}")
    return "".join(rules)


# Pinned to the page: rows by kind, wrapping instead of overflow, the headline and clauses.
CSS = ("#results-table{table-layout:fixed;width:100%}#results-table td{overflow-wrap:anywhere}"
       "#results-table-head th:nth-child(1){width:9em}#results-table-head th:nth-child(3)"
       "{width:24em}#results-table-head th:nth-child(4){width:6em}"
       "#results-table-head th:nth-child(5){width:5em}"
       ".extraHTML pre,.logwrapper .log{white-space:pre-wrap;overflow-wrap:anywhere;"
       "max-width:100%;box-sizing:border-box}.extraHTML pre{background:#f6f8fa;padding:.4em;"
       "color:#1f2328}.extraHTML{max-width:100%;overflow:hidden}"
       "table.cc-diff{table-layout:fixed;width:100%;border-collapse:collapse}"
       "table.cc-diff td,table.cc-diff th{overflow-wrap:anywhere;color:#1f2328}"
       "table.cc-diff th:first-child{width:4em}table.cc-diff th:nth-child(2){width:22%}"
       "table.cc-diff th:nth-child(5){width:14em}"
       "tr.cc-fail td{background:#ffebe9}tr.cc-fail td:first-child{color:#cf222e;"
       "font-weight:bold}tr.cc-warn td{background:#fff8c5}tr.cc-warn td:first-child"
       "{color:#9a6700;font-weight:bold}tr.cc-note td{background:#f6f8fa}"
       "td.col-impact{font-weight:bold}.col-impact small{display:block;color:#1f2328;"
       "font-size:11px;font-weight:normal}.col-impact small.cc-reason{white-space:pre-wrap}"
       ".cc-headline{font-size:14px;color:#1f2328}.cc-headline ul{margin:.3em 0;padding-left:1.2em}"
       ".cc-counts>li>b{font-size:1.1em}.cc-target{margin:.2em 0}"
       ".cc-problem{color:#cf222e;font-weight:bold}"
       ".cc-clauses{color:#1f2328}.cc-clauses dt{font-weight:bold;margin-top:.4em}"
       ".cc-clauses dd{margin-left:1em}dt:target,dt:target+dd{background:#fff8c5}"
       ".cc-clauses .cc-src{color:#57606a}:target{outline:3px solid #0969da}"
       "a[href^='#cc-']{color:#0969da;text-decoration:underline dotted;white-space:nowrap}"
       # the page's own numbers first: title, then the summary, then pytest-html's environment
       "body{display:flex;flex-direction:column}#title{order:-2}.summary{order:-1}"
       "#environment{align-self:flex-start}"
       ".filters input[disabled],.filters input[disabled]+span{display:none}"
       ".logwrapper:not(:has(.log)),tr.extras-row:not(:has(.extraHTML>div,.log)){display:none}"
       + _row_css())

# Clause ids become links client-side, once the rows exist: the page holds every item's extras
# twice over (JSON in an attribute), so links written into them would cost ~45 bytes each,
# 7 an item. Only ids with an entry in the glossary are linked. A link shows the entry's text
# on hover (filled from the entry: the text is on the page once) and opens its section.
SCRIPT = r"""(function(){var RE=/\b(?:OSS|S3)-[1-9][0-9]*\b/g;
function linkText(t){var s=t.nodeValue,m,last=0,f=null;RE.lastIndex=0;
while((m=RE.exec(s))){if(!document.getElementById('cc-'+m[0]))continue;
f=f||document.createDocumentFragment();f.appendChild(document.createTextNode(s.slice(last,m.index)));
var a=document.createElement('a');a.href='#cc-'+m[0];a.textContent=m[0];f.appendChild(a);
last=m.index+m[0].length}
if(f){f.appendChild(document.createTextNode(s.slice(last)));t.parentNode.replaceChild(f,t)}}
function link(){
document.querySelectorAll('.extraHTML table.cc-diff td:last-child,.extraHTML h4+pre')
.forEach(function(el){
if(el.dataset.cc)return;el.dataset.cc='1';
if(el.tagName==='PRE'&&el.previousElementSibling.textContent!=='Checks')return;
var w=document.createTreeWalker(el,NodeFilter.SHOW_TEXT),n,all=[];
while((n=w.nextNode()))all.push(n);all.forEach(linkText)})}
new MutationObserver(link).observe(document.documentElement,{childList:true,subtree:true});
function find(e){var a=e.target.closest&&e.target.closest('a[href^="#cc-"]');
return a?[a,document.getElementById(a.getAttribute('href').slice(1))]:null}
document.addEventListener('mouseover',function(e){var p=find(e);
if(p&&p[1]&&p[1].tagName==='DT'&&!p[0].title)
p[0].title=p[1].textContent.replace(/\s+/g,' ').trim()+(p[1].nextElementSibling?' - '+
p[1].nextElementSibling.textContent.replace(/\s+/g,' ').trim():'')});
document.addEventListener('click',function(e){var p=find(e);if(p&&p[1]){
var d=p[1].closest('details');if(d)d.open=true}},true)})();"""


def target_label(target: Mapping) -> str:
    """The target's name; without one (or when the name is a URL), `dialect@host`.

    Printable and at most LABEL_LIMIT characters: a results.json may come from anyone, and
    the label also reaches the terminal (`matrix`), where control bytes would act.
    """
    name = target.get("name")
    if isinstance(name, str) and name.strip() and "://" not in name:
        return clean(name).strip()[:LABEL_LIMIT]
    endpoint = target.get("endpoint")
    try:
        host = urlsplit(endpoint).hostname if isinstance(endpoint, str) else None
    except ValueError:  # not a URL at all (a hand-edited results.json)
        host = None
    dialect = target.get("dialect") if isinstance(target.get("dialect"), str) else "?"
    return clean(f"{dialect}@{host}")[:LABEL_LIMIT] if host else ""


def where(target: Mapping) -> str:
    """The endpoint, or that it is the embedded reference endpoint."""
    endpoint = target.get("endpoint")
    return str(endpoint) if endpoint else "embedded reference endpoint"


def page_title(target: Mapping) -> str:
    """`CORS conformance: <label> (<dialect>, <endpoint>), suite <version>` (plain text)."""
    label = target_label(target) or "unnamed target"
    return (f"CORS conformance: {label} ({target.get('dialect')}, {where(target)}), "
            f"oss-cors-conformance {__version__}")


def row_kind(record: Mapping | None, outcome: str) -> str:
    """The row's kind (a key of KINDS) from its record, else from pytest's outcome."""
    if record:
        kind = _BY_CLASSIFICATION.get(record.get("classification") or "", "error")
        return "warned" if kind == "pass" and record.get("outcome") == "warned" else kind
    return {"passed": "pass", "skipped": "skipped"}.get(outcome, "error")


def classification_cell(record: Mapping | None, outcome: str) -> tuple[str, str]:
    """(kind, the Classification cell) for a results-table row; every value escaped."""
    kind = row_kind(record, outcome)
    record = record or {}
    parts = [KINDS[kind]]
    if record.get("impact"):
        parts.append(f"<small>{html.escape(str(record['impact']))}</small>")
    reason = {"known": record.get("known_deviation"), "skipped": record.get("skip_reason"),
              "error": record.get("error")}.get(kind)
    if reason:
        limit = SHOWN_CELL if kind == "error" else SHOWN_ERROR  # the error is whole below
        parts.append(f'<small class="cc-reason">{html.escape(clip(str(reason), limit))}</small>')
    return kind, f'<td class="col-impact cc-k-{kind}">{"".join(parts)}</td>'


def dedupe_log(record: Mapping | None, when: str, has_longrepr: bool, log: list[str]) -> None:
    """Drop from a row's log what its extras already show (pytest-html's `data`, in place).

    The log's first entry is the failure text when there is one (diff and transcript, the
    error and its calls, or "Skipped: reason", which the Classification cell shows); the
    "conformance warnings" section repeats the diff. An internal error keeps its traceback.
    """
    if record is None or when != "call" or str(record.get("error") or "").startswith(
            "internal error"):
        return
    kept = log[1:] if has_longrepr else log[:]
    log[:] = [entry for entry in kept if entry != "No log output captured." and (
        not entry.startswith("-") or " conformance warnings " not in entry[:100])]


def headline_html(target: Mapping, records: list[dict], problems: Iterable[str] = ()) -> str:
    """The target and the suite's counts, deviations a browser feels first; then problems.

    `problems` are the run's own lines (a stopped run, a failed restore), shown as they are
    in the terminal.
    """
    e = html.escape
    facts = " · ".join(f"{k} <b>{e(str(v))}</b>" for k, v in (
        ("target", target_label(target) or "unnamed"), ("endpoint", where(target)),
        ("dialect", target.get("dialect")), ("addressing", target.get("addressing")),
        ("signature", target.get("signature_version")),
        ("bucket policy", target.get("bucket_policy")),
        ("suite", f"oss-cors-conformance {__version__}")) if v)
    kinds = Counter(row_kind(r, "") for r in records)
    items = "".join(f'<li class="cc-k-{k}"><b>{n}</b> {e(text)}'
                    f'{_skips(records) if k == "skipped" else ""}</li>'
                    for k, n, text in _counts(records, kinds)
                    if n or "deviation" in text or k in ("error", "skipped"))
    said = "".join(f'<p class="cc-problem">{e(clip(p, SHOWN_ERROR))}</p>' for p in problems)
    return (f'<div class="cc-headline"><p class="cc-target">{facts}</p>'
            f'<ul class="cc-counts">{items}</ul>{said}</div>')


def _counts(records: list[dict], kinds: Counter) -> list[tuple[str, int, str]]:
    """(kind, count, words) in the order a reader needs them: what a browser feels first."""
    impacts = impact_counts(records)
    visible = Counter(row_kind(r, "") for r in records if r.get("impact") == "browser-visible")
    return [
        ("new", impacts["browser_visible_deviations"], "browser-visible deviation(s), a web "
         f"app breaks ({visible['new']} new, {visible['known']} known)"),
        ("warned", impacts["wire_only_deviations"], "wire-only deviation(s)"),
        ("new", kinds["new"], "new deviation(s)"),
        ("known", kinds["known"], "known deviation(s), listed in the expectations"),
        ("error", kinds["error"], "error(s), not judged (each row says why)"),
        ("skipped", kinds["skipped"], "skipped"),
        ("unexpected", kinds["unexpected"], "unexpected pass(es)"),
        ("suitebug", kinds["suitebug"], "suite bug(s)"),
        ("warned", kinds["warned"], "passed with should-level warnings"),
        ("pass", kinds["pass"], "passed")]


def _skips(records: Iterable[dict]) -> str:
    reasons = Counter(r.get("skip_reason") or "(no reason)" for r in records
                      if r.get("classification") == "skipped")
    if not reasons:
        return ""
    return "<ul>" + "".join(f"<li>{n}: {html.escape(clip(str(reason), SHOWN_ERROR))}</li>"
                            for reason, n in reasons.most_common()) + "</ul>"


_LEGEND = ("Evidence: <b>doc</b> the vendor documents it (a case may assert it as must), "
           "<b>obs</b> observed on the service (should), <b>unc</b> unsettled (may). The same "
           "entries, generated from the package's clause data, are in docs/spec/.")


@cache
def _index() -> dict:
    from ..spec import clauses

    return clauses()


def glossary_html(cited: Iterable[str]) -> str:
    """Text, level and evidence of each cited clause, collapsed; ids `cc-<clause id>`."""
    index = _index()
    known = [index[c] for c in sorted(set(cited) & set(index),
                                      key=lambda c: (c.split("-")[0], int(c.split("-")[1])))]
    if not known:
        return ""
    e = html.escape
    body = "".join(
        f'<dt id="cc-{c.id}">{c.id} <span class="cc-src">{c.level} · evidence {e(c.evidence)}'
        f" · section {e(c.section)}{'' if c.observable else ' · not observable'}</span></dt>"
        f"<dd>{e(c.summary)}{f'<br><i>{e(c.note)}</i>' if c.note else ''}"
        f"{f'<br><span class=cc-src>source: {e(c.source)}</span>' if c.source else ''}</dd>"
        for c in known)
    return (f'<details class="cc-clauses"><summary>Clauses cited ({len(known)}): text, level '
            f"and evidence</summary><p>{_LEGEND}</p><dl>{body}</dl></details>")


def page_head() -> str:
    """The style and the clause-link script, once, in the summary (the page is self-contained)."""
    return f"<style>{CSS}</style><script>{SCRIPT}</script>"
