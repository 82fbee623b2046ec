"""3. Collection of N generated case files, and the peak RSS of an M-preflight run."""

from __future__ import annotations

from pathlib import Path

from . import gencases
from ._proc import BenchError, run_child
from .table import Figure, at_most, info

SECTION = "3. collection and memory (generated corpus)"
PYTEST_INI = "[pytest]\nconformance_case_roots = cases\n"


def measure(tmp: Path, files: int, preflights: int) -> list[Figure]:
    """Collect `files` files (pytest and the raw loader), then run `preflights` items."""
    root = tmp / "collect"
    made = gencases.generate(root / "cases", files=files)
    (root / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    collected = run_child("collect", {"root": str(root)}, timeout=600)
    if collected["errors"] or collected["items"] != made.preflights:
        raise BenchError(f"collection found {collected['items']} items and "
                         f"{collected['errors']} errors; expected {made.preflights} items")
    loaded = run_child("load", {"root": str(root / "cases")}, timeout=600)

    mem_cases = tmp / "memory" / "cases"
    mem = gencases.generate(mem_cases, preflights=preflights, seed=7)
    run = run_child("corpus", {"paths": [str(mem_cases)], "reports": str(tmp / "memory-reports")},
                    timeout=1800)
    if run["exit"] != 0:
        raise BenchError(f"the {preflights}-preflight run exited {run['exit']}: {run['tail']}")
    return [
        at_most(SECTION, f"pytest --collect-only of {made.files:,} files", collected["seconds"],
                10, " s", note=f"{collected['items']:,} items, no collection error"),
        at_most(SECTION, f"raw loader (load_case) of {made.files:,} files", loaded["seconds"],
                10, " s"),
        info(SECTION, "peak RSS of that collection", collected["maxrss_mb"], " MB"),
        at_most(SECTION, f"peak RSS of a {mem.preflights:,}-preflight run", run["maxrss_mb"],
                300, " MB", note=f"{mem.files:,} files; oss-conformance run with every report "
                                 f"(html, junit, results.json), embedded endpoint in-process"),
        info(SECTION, f"wall time of that {mem.preflights:,}-preflight run", run["seconds"], " s"),
    ]
