"""pytest hooks only: options, collection, reporting. The logic lives in the modules it wires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import options
from .items import RUNNER_KEY, CaseFile, PreflightItem
from .report.collector import ResultsCollector
from .report.records import item_record
from .runner import Runner

COLLECTOR_KEY = pytest.StashKey[ResultsCollector]()
PROBLEMS_KEY = pytest.StashKey[list]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the conformance option group."""
    options.register(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Freeze settings and create the (lazily started) runner."""
    config.stash[RUNNER_KEY] = Runner(options.build_settings(config))
    collector = ResultsCollector(config, options.value(config, "conformance_results"))
    config.stash[COLLECTOR_KEY] = collector
    config.pluginmanager.register(collector, "conformance-results")
    config.stash[PROBLEMS_KEY] = []
    config.addinivalue_line("markers", "xdist_group(name): run these items on one xdist worker")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CaseFile | None:
    """YAML files under the configured case roots are case files; nothing else is."""
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    roots = parent.config.getini("conformance_case_roots")
    if any(file_path.is_relative_to(root) for root in roots):
        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group items by configuration (stable), so each configuration is provisioned once."""
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if isinstance(item, PreflightItem):
            first_seen.setdefault(item.case.config_key, i)

    def order(pair: tuple[int, pytest.Item]) -> tuple[int, int]:
        i, item = pair
        group = first_seen[item.case.config_key] if isinstance(item, PreflightItem) else i
        return group, i

    items[:] = [item for _, item in sorted(enumerate(items), key=order)]
    for item in items:  # with `-n N --dist loadgroup` a configuration stays on one worker
        if isinstance(item, PreflightItem):
            item.add_marker(pytest.mark.xdist_group(item.case.config_key))


def pytest_report_header(config: pytest.Config) -> str:
    """Say which target the run judges."""
    t = config.stash[RUNNER_KEY].target
    where = "embedded reference endpoint" if t.embedded else t.endpoint
    return (f"conformance target: {t.name} ({where}), dialect {t.dialect}, "
            f"signature {t.signature_version}, bucket policy {t.bucket_policy}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the record (xdist-safe plain data) and pytest-html extras to the call report."""
    report = yield
    if not isinstance(item, PreflightItem) or report.when != "call":
        return report
    runner = item.config.stash[RUNNER_KEY]
    report.conformance = item_record(item, report.outcome, runner.redact)
    if item.record.verdict is not None and item.record.verdict.outcome == "warn":
        from .report.render import diff_text

        report.sections.append(("conformance warnings", diff_text(item.record.verdict)))
    if item.config.pluginmanager.getplugin("html") is not None:
        from .report.html_extras import build_extras

        report.extras = [*getattr(report, "extras", []), *build_extras(item, runner.redact)]
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Leave the target as found, then write results.json."""
    config = session.config
    runner = config.stash[RUNNER_KEY]
    config.stash[PROBLEMS_KEY].extend(runner.stop())
    collector = config.stash[COLLECTOR_KEY]
    collector.write(runner.target.facts(), {
        "provisioning_calls": collector.provisioning_calls,
        "distinct_configurations": len({r["provisioning"]["config_key"]
                                        for r in collector.records if r["provisioning"]}),
    })


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """List should-level warnings and any cleanup problem."""
    warned = config.stash[COLLECTOR_KEY].warned
    if warned:
        terminalreporter.section("conformance warnings (should-level, not failing)")
        for r in warned:
            bad = [c for c in r["checks"] if not c["ok"] and c["level"] == "should"]
            detail = "; ".join(f"{c['subject']}: expected {c['expected']}, got {c['actual']}"
                               for c in bad)
            terminalreporter.line(f"{r['nodeid']}: {detail}")
    for problem in config.stash[PROBLEMS_KEY]:
        terminalreporter.write_line(f"conformance cleanup problem: {problem}", red=True)


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    """Title of report.html."""
    report.title = "CORS conformance report"


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    """Add the Impact column (browser-visible / wire-only) to report.html."""
    cells.insert(2, '<th class="sortable" data-column-type="impact">Impact</th>')


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    """Fill the Impact column from the item's record."""
    from html import escape

    record = getattr(report, "conformance", None) or {}
    impact = record.get("impact") or ("warned" if record.get("outcome") == "warned" else "")
    cells.insert(2, f'<td class="col-impact">{escape(impact)}</td>')
