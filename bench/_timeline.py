"""pytest plugin (`PYTEST_PLUGINS=bench._timeline`) noting when a run reaches each phase.

Only the controlling process records; at unconfigure it writes {mark: perf_counter()} to the file
named by $BENCH_TIMELINE. perf_counter is CLOCK_MONOTONIC on Linux, so the process that started
the run can subtract its own start time.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

_marks: dict[str, float] = {}


def _controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Serial runs: collection (loading and validating every case file) is done."""
    if _controller(session.config):
        _marks["collected"] = time.perf_counter()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """xdist: one more worker has started and collected; the last one opens the item phase."""
    _marks["collected"] = time.perf_counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """The last item's report closes the item phase."""
    if report.when == "teardown":
        _marks["items_done"] = time.perf_counter()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Write the marks (the caller's own clock closes the last phase)."""
    path = os.environ.get("BENCH_TIMELINE")
    if _controller(config) and path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(_marks, fh)
