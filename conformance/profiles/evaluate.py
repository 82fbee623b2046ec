"""The verdict of a run under a profile, computed from results.json alone.

`certify` writes what this returns onto the certificate, and `verify` computes it again from
the bundle's results.json: the verdict is only ever a function of the results and the profile.
Results read here may come from anyone, so every field is type-checked before use and a
malformed one is a one-line ConformanceError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConformanceError
from ..expect import BROWSER_SUBJECTS
from . import Profile

LEVELS = ("must", "should", "may")
INAPPLICABLE = "not applicable to "  # the skip reason of an item its dialect cannot run


@dataclass
class Evaluation:
    """How a run fares under a profile."""

    counted: int = 0
    passed: int = 0
    failed: list[dict] = field(default_factory=list)  # not excused: they refuse the verdict
    excused: list[dict] = field(default_factory=list)  # known deviations the profile counts
    not_run: list[dict] = field(default_factory=list)  # counted items skipped (not inapplicable)
    excluded: int = 0  # items outside the profile: other dialect, inapplicable, no verdict
    classifications: dict[str, int] = field(default_factory=dict)
    levels: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)  # why not certified, one line each

    @property
    def certified(self) -> bool:
        """Whether the verdict is one of the two "certified" ones."""
        return self.verdict != "not certified"

    @property
    def verdict(self) -> str:
        """"certified", "certified with N excused deviation(s)" or "not certified"."""
        if self.reasons:
            return "not certified"
        if self.excused:
            n = len(self.excused)
            return f"certified with {n} excused deviation{'' if n == 1 else 's'}"
        return "certified"

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as certificate.json carries it."""
        return {"verdict": self.verdict, "reasons": self.reasons,
                "items": {"counted": self.counted, "passed": self.passed,
                          "failed": len(self.failed), "excused": len(self.excused),
                          "not_run": len(self.not_run), "excluded": self.excluded},
                "classifications": self.classifications, "levels": self.levels,
                "excused_deviations": self.excused, "failures": self.failed,
                "not_run": self.not_run}


def evaluate(results: dict[str, Any], profile: Profile) -> Evaluation:
    """Apply `profile` to a parsed results.json."""
    items = results.get("items")
    if not isinstance(items, list):
        raise ConformanceError("results.json: items: not a list")
    ev = Evaluation(levels={lv: {"passed": 0, "failed": 0} for lv in LEVELS})
    for index, item in enumerate(items):
        _count(ev, profile, _checked(item, index))
    ran = ev.counted - len(ev.not_run)
    if ran < profile.min_items:
        ev.reasons.append(f"{ran} item(s) of the profile ran; it needs at least "
                          f"{profile.min_items} (dialects {', '.join(profile.dialects)})")
    if ev.failed:
        ev.reasons.append(f"{len(ev.failed)} counted item(s) fail and are not excused")
    if ev.not_run and profile.skipped == "fail":
        ev.reasons.append(f"{len(ev.not_run)} counted item(s) did not run")
    ev.classifications = dict(sorted(ev.classifications.items()))
    return ev


def _count(ev: Evaluation, profile: Profile, item: dict[str, Any]) -> None:
    """Add one item to the evaluation, or to the excluded ones."""
    skip = item.get("skip_reason") or ""
    if item["dialect"] not in profile.dialects or skip.startswith(INAPPLICABLE):
        ev.excluded += 1
        return
    browser = item.get("browser") or {}
    errored = bool(item.get("error"))
    if item["outcome"] != "skipped" and not errored and profile.browser_verdict == "expected" \
            and browser.get("expected") is None:
        ev.excluded += 1
        return
    ev.counted += 1
    ev.classifications[item["classification"]] = \
        ev.classifications.get(item["classification"], 0) + 1
    for check in item["checks"]:
        ev.levels.setdefault(check["level"], {"passed": 0, "failed": 0})[
            "passed" if check["ok"] else "failed"] += 1
    if item["outcome"] == "skipped":
        ev.not_run.append({"nodeid": item["nodeid"], "reason": skip or "(no reason)"})
        return
    problems = _problems(item, profile)
    if not problems:
        ev.passed += 1
    elif item["classification"] == "known deviation":
        ev.excused.append({"nodeid": item["nodeid"], "reason": item.get("known_deviation"),
                           "fails": problems})
    else:
        ev.failed.append({"nodeid": item["nodeid"], "classification": item["classification"],
                          "fails": problems})


def _problems(item: dict[str, Any], profile: Profile) -> list[str]:
    """Why the item fails under the profile's rule (at most five lines); empty if it passes."""
    if item.get("error"):
        return [f"error: {str(item['error']).splitlines()[0][:200]}"]
    failing = [f"{c['subject']}: expected {c.get('expected')}, got {c.get('actual')} "
               f"({c['level']})" for c in item["checks"] if not c["ok"] and _counts(c, profile)]
    if profile.item_passes_when == "no-browser-visible-deviation":
        if item.get("impact") != "browser-visible":
            return []
        return failing[:5] or ["browser-visible deviation"]
    return failing[:5]


def _counts(check: dict[str, Any], profile: Profile) -> bool:
    """Whether a check decides under the profile (a should-level browser check is must)."""
    browser = check["subject"] in BROWSER_SUBJECTS
    level = "must" if browser and check["level"] == "should" else check["level"]
    return ("browser" if browser else "wire") in profile.kinds and level in profile.levels


_FIELDS = {"nodeid": str, "dialect": str, "outcome": str, "classification": str,
           "checks": list}
_CHECK_FIELDS = {"subject": str, "level": str, "ok": bool}


def _checked(item: Any, index: int) -> dict[str, Any]:
    """The item if every field the verdict reads has the right type; else a one-line error."""
    where = f"results.json: items[{index}]"
    if not isinstance(item, dict):
        raise ConformanceError(f"{where}: not a mapping")
    for name, kind in _FIELDS.items():
        if not isinstance(item.get(name), kind):
            raise ConformanceError(f"{where}.{name}: missing or not a {kind.__name__}")
    for j, check in enumerate(item["checks"]):
        if not isinstance(check, dict) or any(
                not isinstance(check.get(n), k) for n, k in _CHECK_FIELDS.items()):
            raise ConformanceError(f"{where}.checks[{j}]: not a check (subject, level, ok)")
    for name in ("browser", "skip_reason", "error", "impact", "known_deviation"):
        value = item.get(name)
        if value is not None and not isinstance(value, dict if name == "browser" else str):
            raise ConformanceError(f"{where}.{name}: of the wrong type")
    return item
