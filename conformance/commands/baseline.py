"""`run --baseline PATH` (pytest: --conformance-baseline): diff this run against a previous one.

The baseline (a results.json or a certificate bundle) is read when the session starts, so a
bad path is a usage error before anything is sent. At the end the run's items are compared
with it as `oss-conformance diff` does: the changes are listed in the terminal and atop
report.html, and a regression fails the run (exit 1) even when every failure is a known
deviation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ._bundle import BundleError, load_results
from .diff import Diff, compare

BASELINE_KEY = pytest.StashKey["BaselineCheck"]()


def register(parser: pytest.Parser) -> None:
    """Add --conformance-baseline (and its ini twin) to the conformance option group."""
    group = parser.getgroup("conformance")
    group.addoption("--conformance-baseline", dest="conformance_baseline", default=None,
                    help="a previous results.json or certificate bundle: list what changed "
                    "(also atop report.html); a regression fails the run")
    parser.addini("conformance_baseline", default=None,
                  help="default for --conformance-baseline")


def configure(config: pytest.Config, collector: Any, known: dict[str, Any]) -> None:
    """Read the baseline named by the option, if any, and register the check."""
    path = config.getoption("conformance_baseline", None) or config.getini("conformance_baseline")
    if not path or hasattr(config, "workerinput"):  # the controller compares, once
        return
    try:
        old, _ = load_results(Path(path))
    except BundleError as exc:
        raise pytest.UsageError(f"--baseline: {exc}") from None
    check = BaselineCheck(old, str(path), collector, known)
    config.stash[BASELINE_KEY] = check
    config.pluginmanager.register(check, "conformance-baseline")


def html(config: pytest.Config) -> str | None:
    """The diff as an HTML section for report.html, when the run has a baseline."""
    check = config.stash.get(BASELINE_KEY, None)
    return None if check is None else check.diff().html()


class BaselineCheck:
    """A pytest plugin object comparing the session's items with the baseline at the end."""

    def __init__(self, old: dict[str, Any], path: str, collector: Any,
                 known: dict[str, Any]) -> None:
        self.old, self.path, self.collector, self.known = old, path, collector, known
        self._diff: Diff | None = None

    def diff(self) -> Diff:
        """The diff, computed once every item has reported."""
        if self._diff is None:
            items = [{**r, "known_deviation": getattr(self.known.get(r["nodeid"]), "reason",
                                                      None)} for r in self.collector.records]
            self._diff = compare(self.old, {"items": items})
        return self._diff

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """A regression fails a run that would otherwise pass."""
        if self.collector.records and self.diff().regressions \
                and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """List the changes since the baseline."""
        if not self.collector.records:
            return
        diff = self.diff()
        terminalreporter.section(f"compared with the baseline {self.path}")
        for line in diff.lines():
            loud = line.startswith("regression")
            terminalreporter.write_line(line, red=loud, bold=loud)
