"""The human faces of a certificate: a self-contained HTML page and an SVG badge.

Every value written into HTML or SVG is escaped: target facts and reasons come from a run
against someone else's endpoint and from a known-deviations file.
"""

from __future__ import annotations

from html import escape
from typing import Any

_COLOURS = {"certified": "#2e7d32", "excused": "#9e9d24", "not certified": "#c62828"}


def badge_svg(label: str, verdict: str) -> str:
    """A shields-style two-part badge: `label | verdict`, coloured by the verdict."""
    colour = _COLOURS["not certified" if verdict == "not certified" else
                      "certified" if verdict == "certified" else "excused"]
    left, right = _width(label), _width(verdict)
    total = left + right
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{escape(label)}: {escape(verdict)}">'
        f"<title>{escape(label)}: {escape(verdict)}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{left / 2:.1f}" y="14">{escape(label)}</text>'
        f'<text x="{left + right / 2:.1f}" y="14">{escape(verdict)}</text>'
        "</g></svg>\n")


def _width(text: str) -> int:
    """Pixels for `text` at 11px Verdana, roughly, plus padding."""
    return int(len(text) * 6.8) + 12


_STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
h1{font-size:1.5em}.verdict{font-size:1.4em;font-weight:600;padding:.4em .8em;
border-radius:6px;color:#fff;display:inline-block}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
code{font-size:.9em;word-break:break-all}"""


def certificate_html(cert: dict[str, Any], files: dict[str, str]) -> str:
    """certificate.html: verdict, profile, suite, target, counts, deviations, digests."""
    verdict = cert["verdict"]
    colour = _COLOURS["not certified" if verdict == "not certified" else
                      "certified" if verdict == "certified" else "excused"]
    profile, suite = cert["profile"], cert["suite"]
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>CORS conformance certificate: {escape(verdict)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>CORS conformance certificate</h1>",
        f'<p><span class=verdict style="background:{colour}">{escape(verdict)}</span></p>',
        f"<p>{escape(profile['title'])}</p>",
        _table("Facts", [
            ("profile", f"{profile['name']} (sha256 {profile['sha256']})"),
            ("suite", f"{suite['name']} {suite['version']}"),
            ("case-set digest", cert["case_set_digest"]),
            ("date", cert["date"]),
            *((f"target {k}", "" if v is None else str(v)) for k, v in cert["target"].items()),
        ]),
        _reasons(cert["reasons"]),
        _table("Items the profile counts", list(cert["items"].items())),
        _table("Classifications of the counted items", list(cert["classifications"].items())),
        _table("Checks of the counted items, by level",
               [(lv, f"{n['passed']} passed, {n['failed']} failed")
                for lv, n in cert["levels"].items()]),
        _deviations("Excused deviations (listed in the known-deviations file)",
                    [(d["nodeid"], d.get("reason") or "", d["fails"])
                     for d in cert["excused_deviations"]]),
        _deviations("Failures that are not excused",
                    [(d["nodeid"], d["classification"], d["fails"]) for d in cert["failures"]]),
        _deviations("Counted items that did not run",
                    [(d["nodeid"], d["reason"], []) for d in cert["not_run"]]),
        _table("sha256 of the bundle's files", sorted(files.items())),
        "<p>Check this bundle with <code>oss-conformance verify &lt;bundle folder or .zip&gt;"
        "</code>: every digest, the corpus, and the verdict from results.json.</p>",
        "</body></html>\n",
    ]
    return "\n".join(p for p in parts if p)


def _table(title: str, rows: list[tuple[Any, Any]]) -> str:
    if not rows:
        return ""
    body = "".join(f"<tr><th>{escape(str(k))}</th><td><code>{escape(str(v))}</code></td></tr>"
                   for k, v in rows)
    return f"<h2>{escape(title)}</h2><table>{body}</table>"


def _reasons(reasons: list[str]) -> str:
    if not reasons:
        return ""
    return "<h2>Why not certified</h2><ul>" + "".join(
        f"<li>{escape(r)}</li>" for r in reasons) + "</ul>"


def _deviations(title: str, rows: list[tuple[str, str, list[str]]]) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><td><code>{escape(n)}</code></td><td>{escape(why)}</td>"
        f"<td>{'<br>'.join(escape(f) for f in fails)}</td></tr>" for n, why, fails in rows)
    return (f"<h2>{escape(title)} ({len(rows)})</h2><table><tr><th>item</th><th>why</th>"
            f"<th>what fails</th></tr>{body}</table>")
