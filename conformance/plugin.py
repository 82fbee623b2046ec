"""pytest hooks only: options, collection, reporting. The logic lives in the modules it wires."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from . import options
from .cases import is_case_file
from .errors import ConformanceError
from .expectations import load_expectations
from .items import BROWSER_KEY, RUNNER_KEY, UNUSABLE_KEY, CaseFile, PreflightItem
from .report.collector import ResultsCollector
from .report.records import item_record
from .report.results import impact_counts, propagation_line, propagation_summary
from .runner import Runner

COLLECTOR_KEY = pytest.StashKey[ResultsCollector]()
EXPECTED_KEY = pytest.StashKey[dict]()
PROBLEMS_KEY = pytest.StashKey[list]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the conformance option group."""
    options.register(parser)
    from .commands import baseline

    baseline.register(parser)  # --conformance-baseline: `run --baseline`


def pytest_configure(config: pytest.Config) -> None:
    """Freeze settings and create the (lazily started) runner."""
    # Registered first, so it runs last: after the exit-time GC passes (CaseFile._hold_collected)
    config.add_cleanup(lambda: CaseFile.release(config))
    runner = Runner(options.build_settings(config))
    config.stash[RUNNER_KEY] = runner
    path = options.expectations_file(config, runner.target.name)
    try:
        known = load_expectations(path) if path.exists() else {}
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[EXPECTED_KEY] = known
    collector = ResultsCollector(config, options.value(config, "conformance_results"))
    config.stash[COLLECTOR_KEY] = collector
    config.pluginmanager.register(collector, "conformance-results")
    from .commands import baseline

    baseline.configure(config, collector, known)
    config.stash[PROBLEMS_KEY] = []
    browser = options.browser_session(config)
    if browser is not None:
        config.stash[BROWSER_KEY] = browser


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CaseFile | None:
    """YAML files under the configured case roots are case files; nothing else is."""
    if not is_case_file(file_path.name):
        return None
    roots = parent.config.getini("conformance_case_roots")
    if any(file_path.is_relative_to(root) for root in roots):
        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group items by configuration (stable), so each configuration is provisioned once."""
    # One pass computing each item's group, then one stable sort on its first position:
    # this runs over every collected item (57k for 10,000 files).
    first_seen: dict[str, int] = {}
    rank = [first_seen.setdefault(item.group, i) if isinstance(item, PreflightItem) else i
            for i, item in enumerate(items)]
    items[:] = [items[i] for i in sorted(range(len(items)), key=rank.__getitem__)]
    known_deviations = config.stash[EXPECTED_KEY]
    if not known_deviations:
        return
    for item in items:
        known = known_deviations.get(item.nodeid) if isinstance(item, PreflightItem) else None
        if known is not None:  # a known deviation: failing is expected, passing is news
            item.add_marker(pytest.mark.xfail(  # a suite bug is never a known deviation
                reason=f"known deviation: {known.reason}", strict=not known.intermittent,
                raises=ConformanceError))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """--dry-run prints the plan instead; otherwise a target that cannot be used stops the run.

    The target is started before the first item, so that an unreachable endpoint, refused
    credentials or a missing bucket give one line and exit 3, not one failure per item.
    """
    if not session.config.getoption("dry_run", False):
        return None if _start_target(session) else True
    from .plan import make_plan, render_plan, render_steps

    items = [i for i in session.items if isinstance(i, PreflightItem)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    target = session.config.stash[RUNNER_KEY].target
    for line in render_plan(make_plan(items), target) + render_steps(items, target):
        if reporter is not None:
            reporter.write_line(line)
    return True


def _start_target(session: pytest.Session) -> bool:
    """Start the runner now (serial runs); False when the target cannot be used."""
    config = session.config
    if hasattr(config, "workerinput") or config.pluginmanager.has_plugin("dsession"):
        return True  # xdist: each worker starts its own, and stops at its first failure
    if not any(isinstance(i, PreflightItem) and not i.skip_reason for i in session.items):
        return True
    runner = config.stash[RUNNER_KEY]
    try:
        runner.ensure_started()
    except ConformanceError as exc:
        from .diagnose import unusable_target_line

        config.stash[UNUSABLE_KEY] = runner.redact(unusable_target_line(exc, runner.target))
        return False
    return True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup`: group by configuration or sequence, computed, not by node-id suffix."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from .parallel import ConfigurationScheduling

    return ConfigurationScheduling(config, log)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which target the run judges (and which browser checks the verdicts)."""
    t = config.stash[RUNNER_KEY].target
    where = "embedded reference endpoint" if t.embedded else t.endpoint
    lines = [f"conformance target: {t.name} ({where}), dialect {t.dialect}, "
             f"signature {t.signature_version}, bucket policy {t.bucket_policy}"]
    browser = config.stash.get(BROWSER_KEY, None)
    if browser is not None:
        lines.append(f"browser truth: headless Chromium ({browser.executable}) via Playwright")
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the record (xdist-safe plain data) and pytest-html extras to the call report."""
    report = yield
    if not isinstance(item, PreflightItem) or report.when != "call":
        return report
    runner = item.config.stash[RUNNER_KEY]
    outcome = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    known = item.config.stash[EXPECTED_KEY].get(item.nodeid)
    report.conformance = item_record(item, outcome, runner.redact, known)
    if report.skipped and not hasattr(report, "wasxfail"):
        report.conformance["skip_reason"] = runner.redact(_skip_text(report))
    if item.record.verdict is not None and item.record.verdict.outcome == "warn":
        from .report.render import diff_text

        report.sections.append(("conformance warnings", diff_text(item.record.verdict)))
    if item.config.pluginmanager.getplugin("html") is not None:
        from .report.html_extras import build_extras

        report.extras = [*getattr(report, "extras", []), *build_extras(item, runner.redact)]
    item.release_record()  # the report now holds what is kept; items live until the session ends
    return report


def _skip_text(report: pytest.TestReport) -> str:
    """The reason a skipped report carries, without pytest's "Skipped: " prefix."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Leave the target as found, then write results.json."""
    config = session.config
    browser = config.stash.get(BROWSER_KEY, None)
    if browser is not None:
        browser.close()  # also after failures and interrupts: Chromium never outlives the run
    runner = config.stash[RUNNER_KEY]
    problems = runner.stop()
    config.stash[PROBLEMS_KEY].extend(problems)
    if any(p.startswith("RESTORE FAILED") for p in problems):
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR  # never a green run after that
    unusable = config.stash.get(UNUSABLE_KEY, None)
    if unusable:
        config.stash[PROBLEMS_KEY].insert(0, f"STOPPED: {unusable}")
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR  # the CLI's exit 3
    if hasattr(config, "workerinput"):  # an xdist worker: the controller writes every file
        return
    collector = config.stash[COLLECTOR_KEY]
    if config.getoption("update_expectations", False) and collector.records:
        from .expectations import write_expectations

        path = options.expectations_file(config, runner.target.name)
        count = write_expectations(path, runner.target.name, collector.records,
                                   config.stash[EXPECTED_KEY])
        config.stash[PROBLEMS_KEY].append(f"wrote {count} known deviation(s) to {path}")
    collector.write(runner.target.facts(), {
        "provisioning_calls": collector.provisioning_calls,
        "distinct_configurations": collector.distinct_configurations,
        "propagation": propagation_summary(collector.propagations),
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
    collector = config.stash[COLLECTOR_KEY]
    counts = collector.classification_counts()
    if counts:
        terminalreporter.section("conformance")
        impacts = impact_counts(collector.records)
        visible = impacts["browser_visible_deviations"]
        terminalreporter.line(
            f"{visible} browser-visible deviation(s) (a web app breaks), "
            f"{impacts['wire_only_deviations']} wire-only", red=bool(visible), bold=bool(visible))
        terminalreporter.line(", ".join(f"{n} {kind}" for kind, n in counts.items()))
        for r in collector.records:
            if r["classification"] in ("new deviation", "unexpected pass", "error", "suite bug"):
                terminalreporter.line(f"{r['classification']}: {r['nodeid']}")
        reasons = Counter(r.get("skip_reason") for r in collector.records
                          if r["classification"] == "skipped")
        for reason, n in reasons.most_common():
            terminalreporter.line(f"skipped {n}: {reason or '(no reason)'}")
        line = propagation_line(propagation_summary(collector.propagations))
        if line:
            terminalreporter.line(line)
    if config.stash.get(BROWSER_KEY, None) is not None:
        from .report.records import browser_counts

        terminalreporter.line("chromium: " + ", ".join(
            f"{n} {kind}" for kind, n in browser_counts(collector.records).items()))
    for problem in config.stash[PROBLEMS_KEY]:
        loud = problem.startswith(("RESTORE FAILED", "STOPPED"))
        terminalreporter.write_line(f"conformance: {problem}", red=loud, bold=loud)


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    """Title of report.html: target and suite; pytest-html's counters say what they count."""
    from .report.html_page import OUTCOME_LABELS, page_title

    report.title = page_title(report.config.stash[RUNNER_KEY].target.facts())
    for outcome, label in OUTCOME_LABELS.items():  # its counters count phases, not our classes
        if outcome in report.outcomes:
            report.outcomes[outcome]["label"] = label


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    """The target and our counts on top, then the baseline diff; configurations and clauses once."""
    from .commands import baseline
    from .report.html_extras import configurations_html
    from .report.html_page import glossary_html, headline_html, page_head

    collector = session.config.stash[COLLECTOR_KEY]
    target = session.config.stash[RUNNER_KEY].target.facts()
    problems = session.config.stash[PROBLEMS_KEY]
    prefix.append(page_head() + headline_html(target, collector.records, problems))
    compared = baseline.html(session.config)
    if compared:
        prefix.append(compared)

    section = configurations_html(collector.configurations) + glossary_html(collector.cited)
    if section:
        postfix.append(section)
    summarised = propagation_summary(session.config.stash[COLLECTOR_KEY].propagations)
    if summarised:
        summary.append(f"<p>{html.escape(propagation_line(summarised))}</p>")


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    """Add the Classification column (with impact and reason) to report.html."""
    cells.insert(2, '<th class="sortable" data-column-type="impact">Classification</th>')


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    """Fill the Classification column from the record; no row for a quiet passed setup/teardown.

    pytest-html builds a row (logs, extras, cells) for every phase and then drops the passed
    setup and teardown ones, unless a teardown has captured output to add to the call's log.
    An emptied row is skipped before that work: a third of pytest-html's time per item.
    """
    from .report.html_page import classification_cell

    if report.when != "call" and report.passed and not any(
            "teardown" in header for header, _ in report.sections):
        cells.clear()
        return
    kind, cell = classification_cell(getattr(report, "conformance", None), report.outcome)
    cells[0] = cells[0].replace('"col-result"', f'"col-result cc-k-{kind}"', 1)
    cells.insert(2, cell)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    """Show each block once: the extras hold the diff, the exchange and the error already.

    pytest-html's log repeats the failure text (diff and transcript) and the warnings
    section; it stays only for what the extras lack (an internal error's traceback).
    """
    from .report.html_page import dedupe_log

    dedupe_log(getattr(report, "conformance", None), report.when, bool(report.longreprtext),
               data)
