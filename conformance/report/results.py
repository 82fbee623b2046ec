"""results.json: the machine-readable source of truth of a run."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
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


def write_results(path: Path, records: list[dict], target: dict, rootdir: Path,
                  extra: dict | None = None) -> dict:
    """Write results.json atomically and return what was written."""
    counts = Counter(r["outcome"] for r in records)
    doc = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "suite_version": __version__,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "case_set_digest": case_set_digest(rootdir, {r["case"] for r in records}),
        "target": target,
        "summary": {"total": len(records), **dict(sorted(counts.items()))},
        **(extra or {}),
        "items": sorted(records, key=lambda r: r["nodeid"]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False)  # no indent: the C encoder, 5x faster
        fh.write("\n")
    os.replace(tmp, path)
    return doc
