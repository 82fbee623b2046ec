"""pytest-html extras for one item: diff, transcript, provisioned XML, provisioning calls.

report.html holds every item's extras in memory until the run ends, then as one JSON blob
that is escaped and rendered at once (about 2.7 times the file's size at the peak). So a
passing item's extras are compact: its checks as aligned text instead of a table, and its
provisioned configuration as a link to the one copy under "Provisioned CORS configurations"
(the same XML is shared by every item of a configuration). Items that did not pass keep the
full diff table, the XML and the provisioning calls inline. Every exchange is always shown.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Mapping
from typing import Any

from ..exchange import transcripts
from ..limits import SHOWN_ERROR, SHOWN_EXTRA, clip
from ..redact import Redactor
from .render import all_ok, checks_text, diff_html

_SHARED_XML = 160  # a configuration shorter than this is shown inline: a link is no shorter


def build_extras(item: Any, redact: Redactor) -> list[dict]:
    """One html extra for pytest-html; everything escaped, redacted and bounded."""
    from pytest_html import extras  # only called when pytest-html is active

    rec = item.record
    clean = _passed(rec) and all_ok(rec.verdict)
    parts: list[str] = []
    if rec.verdict is not None:
        parts.append(_pre("Checks", checks_text(rec.verdict), redact) if clean
                     else diff_html(rec.verdict))
    if rec.exchange is not None:
        parts.append(_pre("Preflight exchange", rec.exchange.transcript(), redact))
    obs = None if rec.verdict is None else rec.verdict.browser_observed
    if obs is not None:  # --browser: Chromium's outcome beside the exchange
        parts.append(_pre("Chromium", _chromium_text(obs), redact))
    prov = rec.provisioned
    if prov is not None:
        xml = redact(prov.xml)
        if clean and len(xml) >= _SHARED_XML:
            parts.append(_config_link(xml, prov.key))
        else:
            parts.append(_pre("Provisioned CORS configuration", xml, redact))
        # the signed calls are long; a passing item's are the same as its group's failures'
        calls = "" if _passed(rec) else transcripts(prov.exchanges)
        if calls:
            parts.append(_pre("Provisioning calls (this configuration)", calls, redact))
    if rec.error:
        parts.append(_pre("Error", clip(rec.error, SHOWN_ERROR), redact))
    return [extras.html("".join(parts))] if parts else []


def config_anchor(xml: str) -> str:
    """The element id of a (redacted) configuration's one copy in report.html."""
    return "cc-config-" + hashlib.sha256(xml.encode("utf-8")).hexdigest()[:12]


def _config_link(xml: str, key: str) -> str:
    return (f'<h4>Provisioned CORS configuration</h4><p><a href="#{config_anchor(xml)}">config '
            f"key {html.escape(key)}</a>, listed once above the results</p>")


def configurations_html(configurations: Mapping[str, Iterable[str]]) -> str:
    """The one copy of each configuration that passing items link to (xml -> config keys).

    Collapsed, above the results table; its entries carry the ids `config_anchor` gives.
    """
    if not configurations:
        return ""
    body = "".join(
        f'<div id="{config_anchor(xml)}"><h4>config key {html.escape(", ".join(keys))}</h4>'
        f"<pre>{html.escape(_bounded(xml))}</pre></div>"
        for xml, keys in configurations.items())
    return (f'<details class="cc-configurations"><summary>Provisioned CORS configurations '
            f"({len(configurations)})</summary>{body}</details>")


def _passed(rec: Any) -> bool:
    return rec.error is None and rec.verdict is not None and rec.verdict.outcome == "pass"


def _chromium_text(obs: Any) -> str:
    """Chromium's decision, its console error, and what it sent and got, as plain text."""
    if obs.observed is None:
        return f"not observable: {obs.reason}"
    sent = "preflight sent" if obs.preflight_sent else "no preflight"
    lines = [f"observed: {obs.observed} ({sent}, decided on the {obs.stage} request)",
             f"console: {obs.reason}"]
    if obs.cors_error:
        lines.append(f"DevTools corsError: {obs.cors_error}")
    if obs.predicted is not None:
        lines.append(f"conformance/browser.py on the same answers: {obs.predicted.verdict} "
                     f"({obs.predicted.reason})")
    if obs.suite_bug:
        lines.append(f"SUITE BUG: {obs.suite_bug}")
    return "\n".join(lines) + "\n\n" + obs.transcript()


def _bounded(text: str) -> str:
    return clip(text, SHOWN_EXTRA)


def _pre(title: str, text: str, redact: Redactor) -> str:
    # no wrapper element: pytest-html puts each extra in its own <div>, and every byte here
    # is held until the end and then copied about three times while the report is written
    return f"<h4>{html.escape(title)}</h4><pre>{html.escape(_bounded(redact(text)))}</pre>"
