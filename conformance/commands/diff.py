"""`oss-conformance diff OLD NEW`, and `run --baseline`: what changed between two runs.

Items are matched by node id (stable by design: expectation files and baselines key on them).
Each item's state is pass, warn (should-level mismatches only), fail, error or skipped; an
unexpected pass of a listed deviation is a pass, a known deviation a fail. A regression is an
item that passed or warned before and fails or errors now: the only change that exits 1.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, TextIO

from ..status import ExitStatus
from ._bundle import BundleError, load_results

GOOD, BAD = ("pass", "warn"), ("fail", "error")


@dataclass
class Diff:
    """The changes from OLD to NEW, each a (node id, detail) pair."""

    regressions: list[tuple[str, str]] = field(default_factory=list)
    fixes: list[tuple[str, str]] = field(default_factory=list)
    new_warnings: list[tuple[str, str]] = field(default_factory=list)
    no_longer_run: list[tuple[str, str]] = field(default_factory=list)
    new_items: list[tuple[str, str]] = field(default_factory=list)
    removed_items: list[tuple[str, str]] = field(default_factory=list)
    reasons_changed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # corpus or target changed

    SECTIONS = (("regression", "regressions"), ("fixed", "fixes"),
                ("new warning", "new_warnings"), ("no longer run", "no_longer_run"),
                ("new item", "new_items"), ("removed item", "removed_items"),
                ("reason changed", "reasons_changed"))

    def lines(self) -> list[str]:
        """One line per change, regressions first, then a count line."""
        out = [f"note: {n}" for n in self.notes]
        for label, attr in self.SECTIONS:
            out += [f"{label}: {nodeid}: {detail}" if detail else f"{label}: {nodeid}"
                    for nodeid, detail in getattr(self, attr)]
        out.append(self.counts())
        return out

    def counts(self) -> str:
        """The one-line summary."""
        return (f"{len(self.regressions)} regression(s), {len(self.fixes)} fix(es), "
                f"{len(self.new_warnings)} new warning(s), {len(self.new_items)} new item(s), "
                f"{len(self.removed_items)} removed item(s), "
                f"{len(self.reasons_changed)} changed known-deviation reason(s)")

    def html(self) -> str:
        """The diff as an HTML section for the top of report.html (every value escaped)."""
        colour = "#c62828" if self.regressions else "#2e7d32"
        rows = "".join(
            f"<tr><td>{escape(label)}</td><td><code>{escape(nodeid)}</code></td>"
            f"<td>{escape(detail)}</td></tr>"
            for label, attr in self.SECTIONS for nodeid, detail in getattr(self, attr))
        notes = "".join(f"<p>{escape(n)}</p>" for n in self.notes)
        table = f"<table><tr><th>change</th><th>item</th><th>detail</th></tr>{rows}</table>" \
            if rows else "<p>No item changed.</p>"
        return (f'<div id="baseline-diff"><h2 style="color:{colour}">Compared with the '
                f"baseline: {escape(self.counts())}</h2>{notes}{table}</div>")


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("diff", help="compare two runs (results.json or bundles): regressions, "
                                    "fixes, new and removed items; exit 1 on a regression",
                       epilog="exit status:\n  0  no regression\n  1  an item that passed or "
                       "warned in OLD fails in NEW\n  2  an input cannot be read",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("old", help="the baseline: results.json, bundle folder or .zip")
    p.add_argument("new", help="the run to judge: results.json, bundle folder or .zip")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the diff; 1 on a regression, 0 otherwise, 2 for unreadable input."""
    try:
        old, _ = load_results(Path(args.old))
        new, _ = load_results(Path(args.new))
        result = compare(old, new)
    except BundleError as exc:
        print(f"oss-conformance: {exc}", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a shape not foreseen
        print(f"oss-conformance: malformed results: {type(exc).__name__}: {str(exc)[:200]}",
              file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    for line in result.lines():
        print(line, file=out)
    return ExitStatus.CONFORMANCE_FAILURES if result.regressions else ExitStatus.OK


def compare(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """Diff two parsed results.json documents (or documents shaped like them)."""
    before, after = index(old, "OLD"), index(new, "NEW")
    diff = Diff()
    digests = old.get("case_set_digest"), new.get("case_set_digest")
    if all(digests) and digests[0] != digests[1]:
        diff.notes.append("the case set differs (another corpus or suite version)")
    old_t, new_t = old.get("target"), new.get("target")
    if isinstance(old_t, dict) and isinstance(new_t, dict) and \
            old_t.get("name") != new_t.get("name"):
        diff.notes.append(f"the target differs: {old_t.get('name')} -> {new_t.get('name')}")
    for nodeid in sorted(before.keys() | after.keys()):
        _one(diff, nodeid, before.get(nodeid), after.get(nodeid))
    return diff


def _one(diff: Diff, nodeid: str, old: dict | None, new: dict | None) -> None:
    if old is None:
        diff.new_items.append((nodeid, state(new)))
        return
    if new is None:
        diff.removed_items.append((nodeid, ""))
        return
    was, now = state(old), state(new)
    if was in GOOD and now in BAD:
        diff.regressions.append((nodeid, f"{was} -> {now}: {why(new)}"))
    elif was in BAD and now in GOOD:
        diff.fixes.append((nodeid, f"{was} -> {now}"))
    elif was == "pass" and now == "warn":
        diff.new_warnings.append((nodeid, why(new)))
    elif was != "skipped" and now == "skipped":
        diff.no_longer_run.append((nodeid, str(new.get("skip_reason") or "")[:200]))
    old_reason, new_reason = old.get("known_deviation"), new.get("known_deviation")
    if old_reason != new_reason:
        diff.reasons_changed.append((nodeid, f"{old_reason!r} -> {new_reason!r}"))


def index(results: dict[str, Any], label: str) -> dict[str, dict]:
    """Items by node id; a document without an items list is unreadable."""
    items = results.get("items")
    if not isinstance(items, list):
        raise BundleError(f"{label}: results.json has no items list")
    found = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("nodeid"), str) \
                or not isinstance(item.get("outcome"), str):
            raise BundleError(f"{label}: results.json: items[{i}]: no nodeid or outcome")
        found[item["nodeid"]] = item
    return found


def state(item: dict[str, Any]) -> str:
    """pass, warn, fail, error or skipped."""
    outcome, kind = item.get("outcome"), item.get("classification")
    if outcome == "skipped":
        return "skipped"
    if kind == "unexpected pass":
        return "pass"  # the target passes; the expectations file is stale
    if outcome in ("failed", "xfailed"):
        return "error" if item.get("error") else "fail"
    return "warn" if outcome == "warned" else "pass"


def why(item: dict[str, Any]) -> str:
    """What fails now, in one short line."""
    if item.get("error"):
        return str(item["error"]).splitlines()[0][:200]
    checks = item.get("checks") if isinstance(item.get("checks"), list) else []
    bad = [c for c in checks if isinstance(c, dict) and not c.get("ok")]
    text = "; ".join(f"{c.get('subject')}: expected {c.get('expected')}, got {c.get('actual')}"
                     for c in bad[:3])
    if item.get("classification") == "known deviation":
        text = f"(known deviation: {item.get('known_deviation')}) {text}"
    return text[:300]
