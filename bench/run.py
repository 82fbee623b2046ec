"""`python -m bench [--quick] [--json PATH]`: measure everything once, print one table."""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import browser, collection, latency, overhead, throughput
from ._proc import BenchError
from .table import Figure, render


@dataclass(frozen=True)
class Plan:
    """How big each measurement is."""

    reps: int  # latency runs (10-15 s each at 50 ms)
    overhead_reps: int  # corpus run + replay (about 2 s)
    latency_ms: int
    files: int
    preflights: int
    load_seconds: float
    connections: int


FULL = Plan(reps=3, overhead_reps=5, latency_ms=50, files=10_000, preflights=10_000, load_seconds=5,
            connections=4)
# Small enough for tests/test_bench.py; same figures, smaller N (latency 5 ms keeps the serial
# run short; its target is computed for 5 ms).
QUICK = Plan(reps=1, overhead_reps=1, latency_ms=5, files=1_000, preflights=1_000, load_seconds=1,
             connections=4)


def measure(plan: Plan, tmp: Path) -> list[Figure]:
    """Every section in order; each starts and stops its own processes."""
    figures = overhead.measure(tmp, plan.overhead_reps)
    remote, provisioning = latency.measure(tmp, plan.reps, plan.latency_ms)
    figures += remote
    figures += collection.measure(tmp, plan.files, plan.preflights)
    figures += throughput.measure(plan.load_seconds, plan.connections)
    return figures + provisioning + browser.measure(tmp, plan.overhead_reps)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 0 when every figure was measured (met or missed), 2 if not."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller N (a test can run it)")
    parser.add_argument("--reps", type=int, help="repetitions per timing (best is kept)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.reps:
        plan = Plan(**{**plan.__dict__, "reps": args.reps, "overhead_reps": args.reps})
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="oss-cors-bench-") as tmp:
        try:
            figures = measure(plan, Path(tmp))
        except BenchError as exc:
            print(f"bench: {exc}")
            return 2
    title = (f"oss-cors-conformance benchmark ({'quick' if args.quick else 'full'}; "
             f"best of {plan.overhead_reps}/{plan.reps}; Python {platform.python_version()}, "
             f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f} "
             f"at the end; {time.monotonic() - started:.0f} s)")
    print(render(figures, title))
    if args.json:
        args.json.write_text(json.dumps([f.to_dict() for f in figures], indent=2) + "\n")
    return 0
