"""pytest collection nodes: a case file and one item per preflight and dialect."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .cases import Case, CaseFileErrors, Preflight, load_case
from .cases.model import ProbeRequest
from .errors import (
    ConformanceError,
    ExpectationError,
    NotApplicable,
    ProvisioningUnsupported,
    TargetUnusable,
)
from .exchange import Exchange, transcripts
from .expect import Verdict, evaluate
from .limits import FAILURE_TEXT_LIMIT, SHOWN_ERROR, clip
from .report.render import diff_text
from .runner import Provisioned, Runner
from .targets import step_server_cors_reason

RUNNER_KEY = pytest.StashKey[Runner]()
RECORD_KEY = pytest.StashKey["ItemRecord"]()
BROWSER_KEY = pytest.StashKey[Any]()  # a conformance.chromium.BrowserSession, with --browser
UNUSABLE_KEY = pytest.StashKey[str]()  # why the target could not be used (the run stopped)
GROUPS_KEY = pytest.StashKey[dict[str, list[ProbeRequest]]]()  # see group_reads


@dataclass(slots=True)  # one per item, alive until the session ends
class ItemRecord:
    """What one item did: the provisioning, the exchange, and the verdict."""

    provisioned: Provisioned | None = None
    exchange: Exchange | None = None
    verdict: Verdict | None = None
    error: str | None = None


class CaseFile(pytest.File):
    """A YAML case file; loading and schema validation happen at collection."""

    _GC_HELD = pytest.StashKey[bool]()

    def collect(self) -> Any:
        """One PreflightItem per preflight, for the target's dialect."""
        self._hold_collected()
        try:
            case = load_case(self.path, display=self._display_path())
        except CaseFileErrors:
            # A bad case file is its own one-line error; the other files still run.
            self.config.option.continue_on_collection_errors = True
            raise
        target = self.config.stash[RUNNER_KEY].target
        dialect = target.dialect
        for index, preflight in enumerate(case.preflights):
            # An item that cannot apply to this dialect (or that a declared server-wide CORS
            # grant would answer) is still collected, and skipped with its reason: a dropped
            # item would be invisible in every report.
            reason = _skip_reason(case, preflight, index, target)
            yield PreflightItem.from_parent(
                self, name=f"{preflight.name}[{dialect}]", case=case, preflight=preflight,
                dialect=dialect, skip_reason=reason)

    def _hold_collected(self) -> None:
        """Keep what was collected so far out of the cyclic garbage collector's scans.

        Items live until the session ends, yet each full collection walked all of them again:
        ~1 s of 12 over 10,000 files during collection, and 3 s more in the five full passes
        pytest's unraisableexception plugin forces at exit. gc.freeze() is O(1); release()
        runs at config cleanup (registered by plugin.pytest_configure, so after those passes)
        and gives everything back. Skipped when someone else manages the collector (disabled,
        or objects already frozen).
        """
        config = self.config
        if not config.stash.get(self._GC_HELD, False):
            if not gc.isenabled() or gc.get_freeze_count():
                return
            config.stash[self._GC_HELD] = True
        gc.freeze()

    @classmethod
    def release(cls, config: pytest.Config) -> None:
        """The session is over: what _hold_collected froze is scanned again."""
        if config.stash.get(cls._GC_HELD, False):
            config.stash[cls._GC_HELD] = False
            gc.unfreeze()

    def _display_path(self) -> str:
        try:
            return self.path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return self.path.as_posix()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """Case-format problems are one line each, never a traceback."""
        if isinstance(excinfo.value, (CaseFileErrors, ConformanceError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def group_reads(item: PreflightItem) -> list[ProbeRequest]:
    """The requests of the item's configuration group that the runner may send together.

    Preflights always; GET and HEAD too when no request of the group writes (a POST upload
    could create what a GET reads). Only when this process runs the whole group: serially, or
    as an xdist worker fed whole groups by `--dist loadgroup`; never for sequences.
    """
    groups = item.session.stash.get(GROUPS_KEY, None)
    if groups is None:
        config = item.config
        whole = not hasattr(config, "workerinput") or config.getvalue("dist") == "loadgroup"
        members: dict[str, list[ProbeRequest]] = {}
        for other in item.session.items if whole else ():
            if (isinstance(other, PreflightItem) and not other.case.sequence
                    and other.preflight.action == "probe" and not other.skip_reason):
                members.setdefault(other.group, []).append(other.preflight.request)
        groups = {key: _reads(requests) for key, requests in members.items()}
        item.session.stash[GROUPS_KEY] = groups
    return groups.get(item.group, [])


def _reads(requests: list[ProbeRequest]) -> list[ProbeRequest]:
    safe = ("OPTIONS", "GET", "HEAD")
    if all(r.method in safe for r in requests):
        return requests
    return [r for r in requests if r.method == "OPTIONS"]


def _skip_reason(case: Case, preflight: Preflight, index: int, target: Any) -> str | None:
    """Why an item cannot be judged on this target: its dialect, or a declared setting."""
    why = case.skip_reason(preflight, target.dialect)
    if why:
        return f"not applicable to {target.dialect}: {why}"
    why = step_server_cors_reason(target, case, index, target.dialect)
    return f"not judged on this target: {why}" if why else None


class PreflightItem(pytest.Item):
    """Provision the case's configuration, fire one request, check every expectation."""

    def __init__(self, *, case: Case, preflight: Preflight, dialect: str,
                 skip_reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case, self.preflight, self.dialect = case, preflight, dialect
        self.skip_reason = skip_reason  # why the item cannot apply to this target
        self.stash[RECORD_KEY] = ItemRecord()

    @property
    def group(self) -> str:
        """Items sharing a configuration, or the steps of one sequence, run together in order."""
        return f"sequence:{self.case.path}" if self.case.sequence else self.case.config_key

    @property
    def record(self) -> ItemRecord:
        """The record of this item, filled while it runs."""
        return self.stash[RECORD_KEY]

    def release_record(self) -> None:
        """Drop the exchange, verdict and provisioning objects once reported (memory).

        Cleared in place: a fresh ItemRecord per item would be one more object each.
        """
        record = self.record
        record.provisioned = record.exchange = record.verdict = record.error = None

    def runtest(self) -> None:
        """Provision (once per configuration, or start the sequence), act, evaluate."""
        try:
            self._runtest()
        except TargetUnusable as exc:
            self.session.shouldfail = str(exc)  # diagnosed once: the run stops here (exit 3)
            # report.html and the terminal's last line say why the run stopped
            self.config.stash[UNUSABLE_KEY] = self.config.stash[RUNNER_KEY].redact(str(exc))
            raise
        except ConformanceError as exc:
            runner = self.config.stash[RUNNER_KEY]
            if exc is runner.startup_error:  # an xdist worker's failed start: stop it too
                from .diagnose import unusable_target_line

                self.session.shouldfail = runner.redact(
                    unusable_target_line(exc, runner.target))
            raise

    def _runtest(self) -> None:
        if self.skip_reason:
            pytest.skip(self.skip_reason)
        runner = self.config.stash[RUNNER_KEY]
        record = self.record
        prov = (runner.begin_sequence(self.case.path) if self.case.sequence
                else runner.apply(self.case.cors, group_reads(self)))
        record.provisioned = prov
        if isinstance(prov.error, ProvisioningUnsupported):
            pytest.skip(f"provisioning unsupported: {prov.error}")
        if isinstance(prov.error, NotApplicable):
            pytest.skip(str(prov.error))
        if prov.error:
            raise prov.error
        refusal = prov.refusal(self.preflight)
        if refusal is not None:  # the value this item is about never got in
            record.exchange, record.verdict = refusal.exchange, refusal.verdict()
            raise ExpectationError(str(refusal), rendered=str(refusal))
        record.verdict = self._act(runner)
        if record.verdict.suite_bug:
            from .chromium import SuiteBugError

            raise SuiteBugError(record.verdict.suite_bug)
        if record.verdict.outcome == "fail":
            n = len(record.verdict.failures)
            raise ExpectationError(f"{n} must-level mismatch(es)", rendered=diff_text(
                record.verdict))

    def _act(self, runner: Runner) -> Verdict:
        """Send this item's request or configuration call and check the answer."""
        pf, record = self.preflight, self.record
        checks = pf.checks_for(self.dialect)
        if pf.action == "probe":
            record.exchange = runner.fire(pf.request)
            verdict = evaluate(checks, pf.request, record.exchange)
            session = self.config.stash.get(BROWSER_KEY, None)
            if session is not None and verdict.browser_expected is not None:
                # The same URL the probe used, from a page at the case's origin.
                req = pf.request
                bucket = runner.missing_bucket if req.bucket == "missing" else runner.bucket
                verdict.add_observation(
                    session.observe(req, runner.target.object_url(bucket, req.path)))
            return verdict
        if runner.target.fixed_cors is not None:
            pytest.skip("the target serves a fixed CORS configuration: no configuration calls")
        cors, read = None, False
        if pf.action == "put_cors":
            assert pf.put is not None
            _, record.exchange = runner.put_cors(pf.put, pf.bucket)
        elif pf.action == "get_cors":
            result, cors, record.exchange = runner.get_cors(pf.bucket)
            read = result.ok or result.code == "NoSuchCORSConfiguration"
        else:
            _, record.exchange = runner.delete_cors(pf.bucket)
        if record.exchange is None:
            raise ConformanceError(f"{pf.action} sent nothing")
        return evaluate(checks, pf.request, record.exchange, cors=cors, cors_read=read)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """A diff and the transcript for deviations; one line for other suite errors."""
        exc = excinfo.value
        redact = self.config.stash[RUNNER_KEY].redact
        if isinstance(exc, ExpectationError):
            transcript = self.record.exchange.transcript() if self.record.exchange else ""
            return clip(redact(f"{exc.rendered}\n\n{transcript}"), FAILURE_TEXT_LIMIT)
        verdict = self.record.verdict
        if verdict is not None and verdict.suite_bug and str(exc) == verdict.suite_bug:
            seen = verdict.browser_observed.transcript()
            return clip(redact(f"SUITE BUG (not a deviation of the target): {exc}\n\n"
                               f"{diff_text(verdict)}\n\nWhat Chromium sent and got:\n{seen}"),
                        FAILURE_TEXT_LIMIT)
        if isinstance(exc, ConformanceError):
            self.record.error = clip(redact(str(exc)), SHOWN_ERROR)  # it may quote a target
            prov = self.record.provisioned
            calls = transcripts(prov.exchanges) if prov else ""
            return clip(redact(f"{self.record.error}\n\n{calls}".rstrip()), FAILURE_TEXT_LIMIT)
        self.record.error = redact(f"internal error: {exc!r}")  # a suite bug, not a deviation
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """(file, 0-based line of the preflight, title: name)."""
        return self.path, self.preflight.line - 1, f"{self.case.title}: {self.preflight.name}"
