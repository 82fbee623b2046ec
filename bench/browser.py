"""6. Browser truth: what `--browser chromium` adds to a corpus run (no target: reported).

Both runs are the CLI's in-process run_suite in fresh child processes, as in section 1; the
difference is Chromium's start, one page per origin and one fetch per checked item.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

from ._proc import REPO, BenchError, run_child
from .table import Figure, info

SECTION = "6. browser truth: --browser chromium against the same corpus run without it"


def _run(reports: Path, *args: str) -> dict:
    run = run_child("corpus", {"paths": [str(REPO / "cases")], "reports": str(reports),
                               "args": list(args)}, timeout=600)
    if run["exit"] != 0:
        raise BenchError(f"the corpus run {' '.join(args)} exited {run['exit']}: {run['tail']}")
    return run


def measure(tmp: Path, reps: int) -> list[Figure]:
    """Best of `reps` runs each way; skipped with a reason when Chromium cannot run here."""
    if shutil.which("chromium") is None or importlib.util.find_spec("playwright") is None:
        return [info(SECTION, "not measured: Debian's chromium or playwright is missing", None)]
    plain = min((_run(tmp / f"plain-{i}") for i in range(reps)), key=lambda r: r["seconds"])
    runs = []
    for i in range(reps):
        reports = tmp / f"browser-{i}"
        runs.append((_run(reports, "--browser", "chromium"), reports))
    browser, reports = min(runs, key=lambda pair: pair[0]["seconds"])
    doc = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    observed = sum(1 for r in doc["items"] if (r.get("browser") or {}).get("observed"))
    extra = browser["seconds"] - plain["seconds"]
    return [
        info(SECTION, "corpus run without --browser", plain["seconds"], " s"),
        info(SECTION, "corpus run with --browser chromium", browser["seconds"], " s"),
        info(SECTION, "extra time", extra, " s",
             note=f"{observed} items observed in Chromium, "
                  f"{1000 * extra / max(observed, 1):.0f} ms each"),
    ]
