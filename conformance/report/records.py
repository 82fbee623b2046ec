"""Turn an item's run into a plain record (for results.json and xdist transport)."""

from __future__ import annotations

import os
from typing import Any

from ..expect import describe
from ..expectations import classify
from ..limits import SHOWN_ERROR, SHOWN_STRING, SHOWN_VALUE, clip
from ..redact import Redactor


def item_record(item: Any, outcome: str, redact: Redactor, known: Any = None) -> dict:
    """The JSON-ready record of one PreflightItem; every string passes the redactor."""
    rec = item.record
    verdict = rec.verdict
    prov = rec.provisioned
    data: dict[str, Any] = {
        "nodeid": item.nodeid,  # no xdist_group markers, so no `@group` suffix, ever
        "case": item.case.path,
        "title": item.case.title,
        "preflight": item.preflight.name,
        "dialect": item.dialect,
        "line": item.preflight.line,
        "spec": list(item.preflight.spec),
        "outcome": outcome,
        "impact": None,
        "browser": None,
        "checks": [],
        "exchange": rec.exchange.to_dict() if rec.exchange else None,
        "provisioning": None,
        "error": None if rec.error is None else clip(rec.error, SHOWN_ERROR),
        "known_deviation": None if known is None else known.reason,
    }
    if verdict is not None:
        if outcome == "passed" and verdict.outcome == "warn":
            data["outcome"] = "warned"
        data["impact"] = verdict.impact if verdict.outcome == "fail" else None
        computed = verdict.browser_computed
        data["browser"] = {
            "expected": verdict.browser_expected,
            "computed": None if computed is None else computed.verdict,
            "reason": None if computed is None else clip(computed.reason, SHOWN_ERROR),
            "observed": None, "observed_reason": None, "preflight_sent": None,
        }
        if verdict.browser_observed is not None:  # --browser: what a real browser did
            data["browser"].update(verdict.browser_observed.to_dict())
        data["checks"] = [
            {"subject": r.check.subject, "expected": describe(r.check.matcher),
             "actual": clip(r.actual, SHOWN_VALUE), "ok": r.ok, "level": r.check.level,
             "spec": list(r.check.spec)}
            for r in verdict.results
        ]
    data["classification"] = classify(data["outcome"], known is not None, bool(rec.error))
    if verdict is not None and verdict.suite_bug:
        data["classification"] = "suite bug"  # the suite mispredicted Chromium: ours to fix
    if prov is not None:
        data["provisioning"] = {
            "config_key": prov.key,
            "applied_by": None if prov.serial is None else
            f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}#{prov.serial}",
            "config": None if prov.config is None else prov.config.to_dict(),
            "xml": prov.xml,
            # From the change acknowledged to GetBucketCors showing it (None: nothing waited).
            "propagation": prov.propagation.to_dict() if prov.propagation else None,
            "refused": [str(r) for r in prov.refused],  # rules the target refused, if any
        }
        if not prov.reported:  # calls travel once per provisioning; results.json hoists them
            data["provisioning"]["calls"] = [ex.to_dict() for ex in prov.exchanges]
            prov.reported = True
    return scrub(data, redact)


def scrub(value: Any, redact: Redactor) -> Any:
    """Apply the redactor to every string in a JSON-like structure (~120 values an item).

    Every string is also held to SHOWN_STRING characters (after redaction, so no secret is
    cut into an unrecognisable piece): a last bound on whatever a target put into a record.
    """
    if isinstance(value, str):
        text = redact(value)
        return text if len(text) <= SHOWN_STRING else clip(text, SHOWN_STRING)
    if isinstance(value, dict):
        return {k: scrub(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], str):
            return [value[0], redact.header(value[0], value[1])]  # a header line
        return [scrub(v, redact) for v in value]
    return value


def browser_counts(records: list[dict]) -> dict[str, int]:
    """How a --browser run went: items observed, agreeing, suite bugs, not observable."""
    counts = {"observed": 0, "agreed": 0, "suite bug": 0, "not observable": 0}
    for r in records:
        b = r.get("browser") or {}
        if b.get("expected") is None or "observed_stage" not in b:
            continue  # no stated verdict, or no browser looked at this item
        if b.get("observed") is None:
            counts["not observable"] += 1
            continue
        counts["observed"] += 1
        counts["suite bug" if b.get("suite_bug") else "agreed"] += 1
    return counts
