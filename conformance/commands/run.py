"""`oss-conformance run`: the corpus through pytest, with every report written."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import pytest

from ..cases import case_files
from ..errors import ConformanceError
from ..status import EXIT_CODES, ExitStatus

RUN_EXAMPLES = """examples:
  oss-conformance run                                  # the corpus on the embedded OSS reference
  oss-conformance run --dialect s3                     # ... on the embedded S3 reference
  oss-conformance run --target minio -k wildcard       # a targets.yaml entry, a subset
  oss-conformance run --endpoint http://127.0.0.1:9000 --dialect s3 --dry-run
  oss-conformance run --target prod --bucket my-bucket # an existing bucket, restored at the end"""
TARGET_FLAGS = ("target", "endpoint", "dialect", "bucket", "signature_version", "region",
                "addressing", "latency_ms", "expectations", "max_rps", "concurrency", "browser",
                "browser_executable")


def add_parser(sub: Any) -> None:
    """Register `run`."""
    run = sub.add_parser("run", help="run the case corpus against a target and write reports",
                         epilog=RUN_EXAMPLES + "\n" + EXIT_CODES,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("paths", nargs="*", default=["cases"], help="case files or folders")
    run.add_argument("--target", help="named target from targets.yaml, or 'reference'")
    run.add_argument("--endpoint", help="endpoint URL, e.g. http://127.0.0.1:9000")
    run.add_argument("--dialect", choices=("oss", "s3"),
                     help="wire dialect of the management calls: oss (alibabacloud-oss-v2) or s3 "
                     "(botocore SigV4); default: the target's, else oss")
    run.add_argument("--bucket", help="existing bucket to use (its CORS rules are restored)")
    run.add_argument("--signature-version", choices=("v4", "v1"),
                     help="OSS signature of the management calls (default: v4)")
    run.add_argument("--region", help="signing region (default: cn-hangzhou for oss, "
                     "us-east-1 for s3)")
    run.add_argument("--addressing", choices=("path", "virtual"),
                     help="bucket in the path (default) or in the host name (virtual needs a DNS "
                     "name, not an IP address)")
    run.add_argument("--latency-ms", help="embedded reference only: delay every answer")
    run.add_argument("--max-rps", help="at most this many requests a second to the target")
    run.add_argument("--concurrency", help="reads of one configuration in flight at once "
                     "(default 8; 1: one request at a time)")
    run.add_argument("--browser", choices=("chromium",),
                     help="confirm every browser verdict in a real headless Chromium")
    run.add_argument("--browser-executable", help="the Chromium binary (default /usr/bin/chromium)")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan (bucket, configuration changes, requests); send nothing")
    run.add_argument("-n", dest="workers", help="parallel workers (pytest-xdist), e.g. 4 or auto")
    run.add_argument("--expectations", help="known deviations file of the target")
    run.add_argument("--update-expectations", action="store_true",
                     help="rewrite the expectations file from this run's failures")
    run.add_argument("--reports", default="reports", help="folder for report.html, "
                     "results.json and junit.xml (default: reports)")
    run.add_argument("--baseline", help="a previous results.json or certificate bundle: print "
                     "what changed (also atop report.html); a regression fails the run")
    run.add_argument("-k", dest="keyword", help="only items matching this pytest expression")
    run.add_argument("-q", "--quiet", action="store_true", help="less terminal output")
    run.add_argument("-v", "--verbose", action="count", default=0,
                     help="one line per item (pytest's -v)")
    run.add_argument("-x", "--exitfirst", action="store_true",
                     help="stop at the first failing item (the bucket is still restored)")
    run.add_argument("--maxfail", type=int, metavar="N", help="stop after N failing items")



def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the corpus (the `run` subcommand)."""
    return run_suite(args, out, err)


class _Outcome:
    """A pytest plugin object that tells the CLI what kind of failure a run had."""

    def __init__(self) -> None:
        self.collection_errors = 0
        self.deviations = 0
        self.target_errors = 0
        self.unsupported = 0
        self.stopped_by_target = False

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # xdist ends a run a worker stopped (session.shouldfail: the target cannot be used)
        # with its own Interrupted; a real Ctrl-C stays a plain KeyboardInterrupt.
        if type(excinfo.value).__name__ == "Interrupted" and self.target_errors:
            self.stopped_by_target = True

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "conformance", None)
        if report.skipped and "provisioning unsupported" in str(report.longrepr):
            self.unsupported += 1
        if report.when != "call" or not report.failed:
            return
        if record is not None and record.get("error"):
            self.target_errors += 1
        else:
            self.deviations += 1


def pytest_args(args: argparse.Namespace, reports: Path | None = None) -> list[str]:
    """The pytest command line equivalent to this run (reports written to `reports`)."""
    reports = Path(args.reports) if reports is None else reports
    roots = [str(Path(p).resolve()) for p in args.paths]
    # Only the plugins a run needs: another installed plugin could reorder items (their
    # order is what keeps each configuration provisioned once) or slow every item down.
    # unraisableexception's five gc passes at exit cost 0.1 s and guard no user code here;
    # sys-level capture still catches any print, without fd capture's per-phase file reads.
    argv = [*args.paths, "--disable-plugin-autoload", "-p", "conformance",
            "-p", "no:cacheprovider", "-p", "no:unraisableexception", "--assert=plain",
            "--capture=sys",
            "--continue-on-collection-errors",
            "-o", "conformance_case_roots=" + " ".join(roots),
            "-o", "testpaths=", "-o", "addopts=", "-o", "filterwarnings="]
    if not args.dry_run:
        argv += ["-p", "metadata", "-p", "html",
                 f"--html={reports / 'report.html'}", "--self-contained-html",
                 f"--junitxml={reports / 'junit.xml'}",
                 f"--conformance-results={reports / 'results.json'}"]
    for flag in TARGET_FLAGS:
        value = getattr(args, flag, None)
        if value:
            argv += [f"--{flag.replace('_', '-')}", value]
    if args.workers and not args.dry_run:  # a plan is made from one collection: serially
        # loadgroup: our scheduler (conformance.parallel) keeps each configuration and each
        # sequence on one worker, in order, on every pytest/xdist version.
        argv += ["-p", "xdist", "-n", args.workers, "--dist", "loadgroup"]
    if args.dry_run:
        argv.append("--dry-run")
    if args.update_expectations:
        argv.append("--update-expectations")
    if args.keyword:
        argv += ["-k", args.keyword]
    if getattr(args, "baseline", None) and not args.dry_run:  # diffed at the end, atop report.html
        argv.append(f"--conformance-baseline={args.baseline}")
    if getattr(args, "exitfirst", False):
        argv.append("-x")
    if getattr(args, "maxfail", None):
        argv.append(f"--maxfail={args.maxfail}")
    argv += ["-v"] * getattr(args, "verbose", 0)
    argv += ["-q"] if args.quiet else ["-rfE"]  # skip reasons: the conformance summary
    return argv


REPORT_FILES = ("report.html", "results.json", "junit.xml")


def _stash_reports(reports: Path, kept: Path) -> None:
    """Move the last run's report files aside before this run writes its own."""
    for name in REPORT_FILES:
        if (reports / name).exists():
            os.replace(reports / name, kept / name)


def _settle_reports(reports: Path, kept: Path, selected: bool) -> None:
    """Keep this run's reports, or put the last run's back when this one wrote none.

    A run that selected nothing (-k nomatch) leaves no empty reports, and a dry run or a
    usage error, which write none, never lose the previous run's.
    """
    if selected and any((reports / name).exists() for name in REPORT_FILES):
        return
    for name in REPORT_FILES:
        (reports / name).unlink(missing_ok=True)
        if (kept / name).exists():
            os.replace(kept / name, reports / name)


def run_suite(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run and map pytest's result onto the CLI's exit statuses."""
    with _sigterm_interrupts():
        return _run_suite(args, out, err)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C from the very start (exit 130, any bucket restored).

    The runner installs the same handler when it starts the target; this one covers the
    moments before (option parsing, collection), where the default handler would kill the
    process with -15 and skip every `finally`.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_suite(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    case_files(args.paths)  # a missing path is a usage error before pytest starts
    try:
        Path(args.reports).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConformanceError(f"cannot create the reports folder {args.reports}: "
                               f"{exc.strerror}") from None
    outcome = _Outcome()
    reports = Path(args.reports)
    kept = Path(tempfile.mkdtemp(prefix=".previous-", dir=reports))
    try:
        _stash_reports(reports, kept)
        code = pytest.ExitCode.INTERNAL_ERROR
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = pytest.main(pytest_args(args), plugins=[outcome])
    finally:
        _settle_reports(reports, kept, code != pytest.ExitCode.NO_TESTS_COLLECTED)
        shutil.rmtree(kept, ignore_errors=True)
    if code == pytest.ExitCode.INTERRUPTED and outcome.stopped_by_target:
        return ExitStatus.TARGET_OR_PROVISIONING_ERROR
    if code == pytest.ExitCode.INTERRUPTED and not outcome.collection_errors:
        return ExitStatus.INTERRUPTED
    if code == pytest.ExitCode.USAGE_ERROR:
        return ExitStatus.USAGE_OR_CASE_ERROR
    if code == pytest.ExitCode.INTERNAL_ERROR:  # e.g. a failed restore of an existing bucket
        return ExitStatus.TARGET_OR_PROVISIONING_ERROR
    if outcome.target_errors or outcome.unsupported:
        return ExitStatus.TARGET_OR_PROVISIONING_ERROR
    if outcome.collection_errors:
        return ExitStatus.USAGE_OR_CASE_ERROR
    if outcome.deviations or code == pytest.ExitCode.TESTS_FAILED:
        return ExitStatus.CONFORMANCE_FAILURES
    if args.dry_run and code == pytest.ExitCode.OK:
        return ExitStatus.OK
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("oss-conformance: no case matched; no reports written (the previous ones, if "
              "any, are kept)", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    return ExitStatus.OK if code == pytest.ExitCode.OK else ExitStatus.CONFORMANCE_FAILURES
