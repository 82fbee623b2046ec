"""results.json: the machine-readable source of truth of a run."""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__

RESULTS_SCHEMA_VERSION = 1


def case_set_digest(rootdir: Path, case_paths: set[str]) -> str:
    """sha256 over the sorted case files' paths and bytes: which corpus produced the run."""
    digest = hashlib.sha256()
    for rel in sorted(case_paths):
        path = rootdir / rel
        digest.update(rel.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


DEVIATIONS = ("new deviation", "known deviation")


def impact_counts(records: list[dict]) -> dict[str, int]:
    """Deviations by what a web app feels: browser-visible first, then wire-only."""
    impacts = Counter(r.get("impact") for r in records if r["classification"] in DEVIATIONS)
    return {"browser_visible_deviations": impacts["browser-visible"],
            "wire_only_deviations": impacts["wire-only"]}


def propagation_summary(samples: list[dict]) -> dict | None:
    """Per run: how long changes took to show in GetBucketCors (min/median/max ms, polls)."""
    if not samples:
        return None
    ms = sorted(s["ms"] for s in samples)
    return {"changes": len(ms), "min_ms": ms[0], "median_ms": round(statistics.median(ms), 1),
            "max_ms": ms[-1], "max_polls": max(s["polls"] for s in samples)}


def propagation_line(summary: dict | None) -> str:
    """The summary in one line, for the terminal and report.html."""
    if not summary:
        return ""
    return (f"propagation: {summary['changes']} configuration change(s) showed in GetBucketCors "
            f"after {summary['min_ms']:.0f} / {summary['median_ms']:.0f} / "
            f"{summary['max_ms']:.0f} ms (min / median / max), at most {summary['max_polls']} "
            "poll(s)")


def write_results(path: Path, records: list[dict], target: dict, rootdir: Path,
                  extra: dict, provisionings: Iterable[tuple[str, str]],
                  items: Iterable[str]) -> None:
    """Write results.json atomically, streaming the bulk instead of building one document.

    `records` are the items' summaries (outcome and case are read from them). The bulk comes
    already encoded as JSON: `provisionings` yields (applied_by, calls), `items` each item's
    full record in node-id order.
    """
    counts = Counter(r["outcome"] for r in records)
    head = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "suite_version": __version__,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "case_set_digest": case_set_digest(rootdir, {r["case"] for r in records}),
        "target": target,
        "summary": {"total": len(records), **impact_counts(records),
                    **dict(sorted(counts.items())),
                    "classifications": dict(sorted(Counter(
                        r["classification"] for r in records).items()))},
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(head, ensure_ascii=False)[:-1])  # the head, still open
        fh.write(', "provisionings": {')
        for i, (key, calls) in enumerate(provisionings):
            fh.write(f"{', ' if i else ''}{json.dumps(key, ensure_ascii=False)}: {calls}")
        fh.write('}, "items": [')
        for i, item in enumerate(items):
            fh.write(", " + item if i else item)
        fh.write("]}\n")
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a report is not
    os.replace(tmp, path)


def _umask() -> int:
    """The process umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
