"""pytest-html extras for one item: diff table, transcript, provisioned XML, exchange JSON."""

from __future__ import annotations

import html
from typing import Any

from ..redact import Redactor
from .render import diff_html

_TEXT_LIMIT = 64 * 1024  # characters of any one extra: the report must stay bounded


def build_extras(item: Any, redact: Redactor) -> list[dict]:
    """Extras for pytest-html; everything escaped, redacted and bounded."""
    from pytest_html import extras  # only called when pytest-html is active

    rec = item.record
    out: list[dict] = []
    if rec.verdict is not None:
        out.append(extras.html(diff_html(rec.verdict)))
    if rec.exchange is not None:
        out.append(extras.html(_pre("Preflight exchange", rec.exchange.transcript(), redact)))
    obs = None if rec.verdict is None else rec.verdict.browser_observed
    if obs is not None:  # --browser: Chromium's outcome beside the exchange
        out.append(extras.html(_pre("Chromium", _chromium_text(obs), redact)))
    prov = rec.provisioned
    if prov is not None:
        out.append(extras.html(_pre("Provisioned CORS configuration", prov.xml, redact)))
        # the signed calls are long; a passing item's are the same as its group's failures'
        calls = "" if _passed(rec) else "\n\n".join(ex.transcript() for ex in prov.exchanges)
        if calls:
            out.append(extras.html(_pre("Provisioning calls (this configuration)", calls, redact)))
    if rec.error:
        out.append(extras.html(_pre("Error", rec.error, redact)))
    return out


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


def _pre(title: str, text: str, redact: Redactor) -> str:
    text = redact(text)
    if len(text) > _TEXT_LIMIT:
        text = text[:_TEXT_LIMIT] + f"\n<< cut at {_TEXT_LIMIT} characters >>"
    return (f'<div class="cc-extra"><h4>{html.escape(title)}</h4>'
            f"<pre>{html.escape(text)}</pre></div>")
