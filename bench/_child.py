"""The measuring side: `python -m bench._child TASK SPEC_JSON`, one fresh interpreter per sample.

A fresh process per repetition keeps samples independent (no warm caches, registered plugins or
open sockets carried over). Every task imports what it needs *before* its timer starts, so Python
start-up and module imports are excluded the same way on both sides of a ratio; lazy work inside
the run (schema compilation, report templates) is counted, since every real run pays it.
The result is one stdout line: RESULT_PREFIX + JSON.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import resource
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "


def _preimport() -> None:
    """Import the suite, the SDK and every pytest11 plugin pytest.main would autoload."""
    import bench._timeline  # noqa: F401
    import conformance.commands.run  # noqa: F401
    import conformance.dialects.oss  # noqa: F401
    import conformance.plugin  # noqa: F401
    import conformance.reference  # noqa: F401

    for ep in entry_points(group="pytest11"):
        with contextlib.suppress(ImportError):
            importlib.import_module(ep.value.partition(":")[0])
    # hypothesis' pytest plugin (if installed: no dependency of ours) imports hypothesis in its
    # terminal summary, inside every timed run: 0.13 s of imports that would count as run time.
    with contextlib.suppress(ImportError):
        importlib.import_module("hypothesis")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    """User + system time of this process and its reaped children (xdist workers)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def corpus(spec: dict) -> dict:
    """`oss-conformance run PATHS --reports DIR -q [ARGS]` in-process, as the CLI runs it."""
    from conformance.cli import build_parser
    from conformance.commands.run import run_suite

    args = build_parser().parse_args(
        ["run", *spec["paths"], "--reports", spec["reports"], "-q", *spec.get("args", [])])
    captured: list[dict] = []
    if spec.get("capture"):
        _capture(captured)
    timeline = Path(spec["reports"]) / "bench-timeline.json"
    os.environ.update(PYTEST_PLUGINS="bench._timeline", BENCH_TIMELINE=str(timeline))
    out = io.StringIO()
    cpu, start = _cpu_seconds(), time.perf_counter()
    code = run_suite(args, out, out)
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    marks = json.loads(timeline.read_text()) if timeline.exists() else {}
    if spec.get("capture"):
        Path(spec["capture"]).write_text(json.dumps(captured), encoding="utf-8")
    return {"seconds": seconds, "cpu_seconds": cpu, "exit": int(code), "maxrss_mb": _maxrss_mb(),
            "phases": _phases(start, start + seconds, marks), "tail": out.getvalue()[-1500:]}


def _capture(into: list[dict]) -> None:
    """Record every request the embedded endpoint answers, in arrival order (for the replay)."""
    from conformance.reference.service import Service

    handle = Service.handle

    def recording(self: Service, request: Any, failure: Any = None) -> Any:
        response = handle(self, request, failure)
        query = "&".join(f"{k}={v}" for k, v in request.query)
        into.append({"method": request.method, "status": response.status,
                     "target": request.path + (f"?{query}" if query else ""),
                     "headers": request.headers, "body": request.body.decode("latin-1")})
        return response

    Service.handle = recording  # type: ignore[method-assign]


def _phases(start: float, end: float, marks: dict[str, float]) -> dict[str, float]:
    """Seconds spent collecting, running items, and finishing (reports, cleanup, teardown)."""
    collected = marks.get("collected", start)
    items_done = marks.get("items_done", collected)
    return {"collect": collected - start, "items": items_done - collected,
            "finish": end - items_done}


def replay(spec: dict) -> dict:
    """The floor: the run's requests on one plain keep-alive requests.Session."""
    from bench.replay import plan
    from bench.replay import replay as run_replay

    result = run_replay(plan(Path(spec["capture"])), spec["region"],
                        os.environ["OSS_ACCESS_KEY_ID"], os.environ["OSS_ACCESS_KEY_SECRET"])
    return {"seconds": result.seconds, "requests": result.requests, "signed": result.signed,
            "status_mismatches": result.status_mismatches}


class _Counter:
    """A pytest plugin object counting collected items and collection errors."""

    items = errors = 0

    def pytest_collectreport(self, report: Any) -> None:
        self.errors += bool(report.failed)

    def pytest_collection_finish(self, session: Any) -> None:
        self.items = len(session.items)


def collect(spec: dict) -> dict:
    """`pytest ROOT --collect-only -q` with the plugin (ROOT holds a pytest.ini)."""
    import pytest

    counter = _Counter()
    argv = [spec["root"], "--collect-only", "-q", "-p", "no:cacheprovider"]
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        start = time.perf_counter()
        code = pytest.main(argv, plugins=[counter])
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "exit": int(code), "items": counter.items,
            "errors": counter.errors, "maxrss_mb": _maxrss_mb()}


def load(spec: dict) -> dict:
    """conformance.cases.load_case over every file under ROOT: the raw loader, no pytest."""
    from conformance.cases import load_case

    files = sorted(Path(spec["root"]).rglob("*.yaml"))
    start = time.perf_counter()
    preflights = sum(len(load_case(path).preflights) for path in files)
    return {"seconds": time.perf_counter() - start, "files": len(files),
            "preflights": preflights}


TASKS = {"corpus": corpus, "replay": replay, "collect": collect, "load": load}


def main(argv: list[str]) -> int:
    """Run one task and print its result line."""
    task, spec = TASKS[argv[0]], json.loads(argv[1])
    _preimport()
    result = task(spec)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
