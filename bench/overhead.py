"""1. Overhead ratio: the corpus through the plugin against the floor of its own requests.

Both sides run in fresh child processes with imports done before the timer (bench/_child.py).
Each corpus run records the requests its endpoint answers (one list append each, well under a
millisecond per run) and the replay that follows sends exactly those.
The corpus side is the CLI's own run_suite (what `python -m conformance run` does, reports
included) rather than bare pytest.main, because that is the command users time; the phase rows
show where its time goes.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._proc import REPO, BenchError, run_child
from .replay import recorded_exchanges
from .table import Figure, at_most, info, phases

SECTION = "1. overhead: corpus run / replay floor (best of N, start-up excluded)"


def _corpus(reports: Path, **extra: str) -> dict:
    run = run_child("corpus", {"paths": [str(REPO / "cases")], "reports": str(reports), **extra},
                    timeout=300)
    if run["exit"] != 0:
        raise BenchError(f"the corpus run exited {run['exit']}: {run['tail']}")
    return run


def measure(tmp: Path, reps: int) -> list[Figure]:
    """Best-of-`reps` corpus runs, each followed by a replay of the requests it made."""
    runs, floors = [], []
    for i in range(reps):  # interleaved, so both sides see the same background load
        reports, capture = tmp / f"overhead-{i}", tmp / f"capture-{i}.json"
        runs.append(_corpus(reports, capture=str(capture)))
        region = json.loads((reports / "results.json").read_text(encoding="utf-8"))
        spec = {"capture": str(capture), "region": region["target"]["region"]}
        floors.append(run_child("replay", spec, timeout=120))
    run = min(runs, key=lambda r: r["seconds"])
    floor = min(floors, key=lambda r: r["seconds"])
    recorded = recorded_exchanges(tmp / "overhead-0" / "results.json")
    return [
        info(SECTION, "corpus run: oss-conformance run cases/ (in-process run_suite)",
             run["seconds"], " s"),
        *phases(SECTION, "of which", run["phases"]),
        info(SECTION, "floor: same requests, one requests.Session, fresh endpoint",
             floor["seconds"], " s",
             note=f"{floor['requests']} requests as the endpoint received them "
                  f"({floor['signed']} re-signed V4; results.json records {recorded}); "
                  f"{floor['status_mismatches']} answer status(es) differ from the run's"),
        at_most(SECTION, "overhead ratio", run["seconds"] / floor["seconds"], 1.5, "x"),
    ]
