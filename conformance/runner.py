"""One run against one target: start it, provision configurations once each, fire requests."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .cases.model import CorsConfig, Preflight, ProbeRequest, PutCors, config_key
from .dialects import make_dialect
from .dialects.base import CallResult, Dialect, pad_body
from .errors import (
    ConformanceError,
    NotApplicable,
    ProvisioningError,
    ProvisioningUnsupported,
    TargetError,
    TargetUnusable,
)
from .exchange import Exchange
from .fanout import DEFAULT_WIDTH, FanOut
from .journal import Journal, journal_path, remove_journal, write_journal
from .polite import PoliteDialect, RateLimiter, retryable_exchange, with_retries
from .probe import Prober
from .readiness import UNKNOWN, Propagation, Watch, raw_config
from .redact import Redactor
from .refusals import Refusal, find_refused, refusal_for, without
from .restore import restore_bucket
from .signed import SigningError, make_signer, prepare
from .targets import Target, ephemeral_bucket_name, resolve_credentials

FIXTURE_KEY = "conformance-object.txt"  # an existing object for actual GET/HEAD requests
FIXTURE_BODY = b"oss-cors-conformance fixture object\n"
# Sending a configuration's reads together pays when a round trip costs more than handing a
# request to another thread and back (~0.1 ms); below this, one at a time is faster.
FAN_OUT_MIN_RTT_MS = 2.0
SILENT_LIMIT = 3  # requests in a row without an answer before the run stops (exit 3)


@dataclass(frozen=True)
class Settings:
    """Run settings, frozen once options are parsed."""

    target: Target
    poll_timeout: float = 30.0
    request_timeout: float = 10.0
    latency_ms: int = 0
    max_rps: float = 0  # 0: no ceiling
    concurrency: int = DEFAULT_WIDTH  # preflights in flight at once (1: one at a time)


@dataclass
class Provisioned:
    """A configuration as applied to the bucket, with the calls that applied it."""

    key: str
    config: CorsConfig | None
    serial: int | None = None  # which provisioning of this run (per worker); None: none sent
    exchanges: list[Exchange] = field(default_factory=list)
    error: ConformanceError | None = None
    reported: bool = False  # its calls already went out with an earlier item's record
    propagation: Propagation | None = None  # from acknowledged to shown by GetBucketCors
    refused: tuple[Refusal, ...] = ()  # rules the target refused; the rest were applied

    def refusal(self, preflight: Preflight) -> Refusal | None:
        """The refused rule that decides `preflight`, if any (see refusals.refusal_for)."""
        if not self.refused or self.config is None:
            return None
        return refusal_for(preflight, self.config, self.refused)

    @property
    def xml(self) -> str:
        """The PutBucketCors body sent, or a note for 'no configuration'."""
        for ex in self.exchanges:
            if ex.request_body and "CORSConfiguration" in ex.request_body:
                return ex.request_body
        return "(no CORS configuration: DeleteBucketCors)" if self.config is None else ""


class Runner:
    """Owns the target, the dialect, the bucket, and the prober for one pytest session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.target = settings.target
        self.redact = Redactor()
        self.bucket = settings.target.bucket or ephemeral_bucket_name()
        self.missing_bucket = ephemeral_bucket_name("osscors-missing")
        self._server = None
        self._dialect: Dialect | None = None
        self._signer: Any = None  # a dialects.sign_base.RequestSigner once started
        self._prober = Prober(timeout=settings.request_timeout)
        self._fanout = FanOut(self._send_pooled, settings.concurrency)
        self._local = threading.local()  # one Prober (keep-alive connection) per fan-out thread
        self._pooled: list[Prober] = []
        self._limiter = RateLimiter(settings.max_rps)
        self._previous_sigterm: Any = None  # whatever signal.signal returned
        self._current: Provisioned | None = None
        self._failed: dict[str, Provisioned] = {}
        self._journal: Journal | None = None
        self._started = False
        self._changed = False  # whether this run changed the bucket's CORS configuration
        self._sequence: str | None = None  # the sequence whose steps are running
        self._startup_error: ConformanceError | None = None
        self._watch = Watch(self._shown_now, settings.poll_timeout, settings.target.name)
        self.provision_count = 0
        self._silent = 0  # requests in a row that got no answer (see _note_answer)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def startup_error(self) -> ConformanceError | None:
        """Why the target could not be started, once a start failed."""
        return self._startup_error

    def ensure_started(self) -> None:
        """Start once; a failed start is remembered and re-raised for every item."""
        if self._startup_error:
            raise self._startup_error
        if self._watch.unusable:
            raise self._watch.unusable
        if self._started:
            return
        self._trap_sigterm()
        try:
            self._start()
        except ConformanceError as exc:
            self._startup_error = exc
            raise
        self._started = True

    def _trap_sigterm(self) -> None:
        """SIGTERM unwinds like Ctrl-C, so the bucket is cleaned up or restored on the way out."""
        if threading.current_thread() is not threading.main_thread():
            return

        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        self._previous_sigterm = signal.signal(signal.SIGTERM, interrupt)

    def _start(self) -> None:
        target = self.target
        creds = resolve_credentials(target)
        self.redact.add(creds.secret)
        if target.embedded:
            from .reference import ReferenceServer

            self._server = ReferenceServer(
                credentials={creds.access_key_id: creds.secret}, region=target.region_name,
                latency_ms=self.settings.latency_ms, dialect=target.dialect)
            self._server.start()
            self.target = target.with_endpoint(self._server.endpoint)
        self._dialect = PoliteDialect(make_dialect(self.target, creds), self._limiter)
        self._signer = make_signer(self.target, creds)  # for requests a case asks to sign
        if self.target.bucket_policy == "ephemeral":
            self._must(self._dialect.create_bucket(self.bucket), "PutBucket")
            self._must(self._dialect.put_object(self.bucket, FIXTURE_KEY, FIXTURE_BODY),
                       "PutObject")
            self._watch.shown = None  # a new bucket has no CORS configuration
        else:
            self._save_original()

    def _save_original(self) -> None:
        """Existing bucket: journal its configuration to disk before anything changes."""
        assert self._dialect is not None and self.target.endpoint
        path = journal_path(self.target.endpoint, self.target.dialect, self.bucket)
        if path.exists():
            raise TargetError(
                f"an earlier run against bucket {self.bucket} did not finish; its original CORS "
                f"configuration is saved in {path}. Run `oss-conformance restore` first",
                target=self.target.name)
        # The body as sent, not the model: the model has no rule IDs (issue 15).
        result, original = self._dialect.get_cors_raw(self.bucket)
        if not result.ok and result.code != "NoSuchCORSConfiguration":
            self._must(result, "GetBucketCors")
        self._watch.shown = original if result.ok else None
        self._journal = write_journal(path, self.target.facts(), self.bucket,
                                      original if result.ok else None)

    def stop(self) -> list[str]:
        """Leave the target as found; return problems (never raise: runs in teardown)."""
        problems: list[str] = []
        dialect = self._dialect
        try:
            self._fanout.close()  # no preflight may still be in flight while the bucket is reset
            if dialect is not None and self._started:
                problems += self._cleanup(dialect)
        except ConformanceError as exc:
            problems.append(self.redact(str(exc)))
        finally:
            for prober in (self._prober, *self._pooled):
                prober.close()
            if dialect is not None:
                dialect.close()
            if self._server is not None:
                self._server.stop()
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)
        return problems

    def _cleanup(self, dialect: Dialect) -> list[str]:
        if self.target.bucket_policy == "existing":
            if self._journal is None:
                return []
            if not self._changed:  # nothing was touched: nothing to put back
                remove_journal(self._journal)
                return []
            problem = restore_bucket(dialect, self._journal)
            return [problem] if problem else []
        # Signed actual requests (PUT, CopyObject, PostObject, multipart) leave objects too.
        _, keys = dialect.list_objects(self.bucket)
        calls = [("DeleteObject", dialect.delete_object(self.bucket, key))
                 for key in dict.fromkeys([FIXTURE_KEY, *keys])]
        calls.append(("DeleteBucket", dialect.delete_bucket(self.bucket)))
        return [f"{op} {self.bucket}: {r.status} {r.code}" for op, r in calls
                if not r.ok and r.status != 404]

    # -- provisioning ----------------------------------------------------------------------
    def apply(self, config: CorsConfig | None, reads: Iterable[ProbeRequest] = ()
              ) -> Provisioned:
        """Make `config` the bucket's configuration, once per distinct configuration.

        `reads`: the configuration's requests that may go out together once it is in effect
        (when a round trip is slow enough for that to pay; see conformance.fanout).
        """
        self.ensure_started()
        key = config_key(config)
        if self._current is not None and self._current.key == key:
            return self._current
        self._sequence = None  # a provisioned configuration ends any sequence
        if key in self._failed:
            return self._failed[key]
        fixed = self.target.fixed_cors
        if fixed is not None:  # nothing is ever sent: the target serves one configuration
            if key == config_key(fixed):
                return Provisioned(key, config)
            return Provisioned(key, config, error=NotApplicable(
                "the target serves a fixed CORS configuration (fixed_cors in targets.yaml) "
                "and this case needs another"))
        assert self._dialect is not None
        self._fanout.drain()
        self._forget_calls()
        prov = Provisioned(key, config, serial=self.provision_count + 1)
        try:
            self._provision(prov, config)
        except ConformanceError as exc:
            prov.error = exc
        prov.exchanges = _kept_calls(self._dialect.log)
        if prov.error:
            self._failed[key] = prov
            self._current = None
        else:
            self._current = prov
            if _round_trip_ms(prov) >= FAN_OUT_MIN_RTT_MS:
                self._fanout.submit(reads)
        return prov

    def _provision(self, prov: Provisioned, config: CorsConfig | None) -> None:
        """Apply `config` (without the rules the target refuses) and wait until it shows."""
        try:
            acked = self._change(config)
        except ProvisioningError as exc:
            if config is None or isinstance(exc, ProvisioningUnsupported):
                raise
            prov.refused = find_refused(config, exc, self._put_alone, self._last_call())
            if not prov.refused:
                raise  # no rule is refused alone: the configuration as a whole is
            if len(prov.refused) == len(config.rules):
                return  # nothing left to apply: every item fails with its refusal
            config = without(config, prov.refused)
            acked = self._change(config)
        prov.propagation = self._watch.wait(config, acked, "PutBucketCors" if config else
                                            "DeleteBucketCors")

    def _change(self, config: CorsConfig | None) -> float:
        """PutBucketCors (DeleteBucketCors for None); when it was acknowledged (monotonic)."""
        assert self._dialect is not None
        self.provision_count += 1
        changed_before, self._changed = self._changed, True
        try:
            if config is None:
                self._must(self._dialect.delete_cors(self.bucket), "DeleteBucketCors")
            else:
                self._must(self._dialect.put_cors(self.bucket, config), "PutBucketCors")
        except ProvisioningUnsupported:
            self._changed = changed_before  # a 501 changed nothing
            raise
        return time.monotonic()

    def _put_alone(self, config: CorsConfig) -> tuple[CallResult, Exchange | None]:
        """PutBucketCors of one rule, to learn whether the target refuses it."""
        assert self._dialect is not None
        result = self._dialect.put_cors(self.bucket, config)
        if result.ok:
            self._watch.shown = UNKNOWN  # it changed, and nothing waited to see it
        return result, self._last_call()

    def _last_call(self) -> Exchange | None:
        assert self._dialect is not None
        return self._dialect.log[-1] if self._dialect.log else None

    def _shown_now(self) -> tuple[CallResult, CorsConfig | None]:
        """GetBucketCors of our bucket: what the watch polls."""
        assert self._dialect is not None
        return self._dialect.get_cors(self.bucket)

    def _must(self, result: CallResult, operation: str) -> None:
        if result.status == 501 or result.code == "NotImplemented":
            raise ProvisioningUnsupported(
                f"the target answers {result.status} {result.code or ''}; declare the "
                "configuration it serves as fixed_cors in targets.yaml to run the cases that "
                "match it".replace("  ", " "), operation=operation, status=result.status,
                code=result.code)
        if not result.ok:
            raise ProvisioningError(self.redact(result.message or "refused"),
                                    operation=operation, status=result.status, code=result.code)

    # -- sequences -------------------------------------------------------------------------
    def begin_sequence(self, name: str) -> Provisioned:
        """A sequence starts on a bucket without CORS configuration (once per sequence)."""
        if self._sequence == name:
            return Provisioned(config_key(None), None)
        prov = self.apply(None)
        self._sequence = name if prov.error is None else None
        return prov

    def step_bucket(self, which: str) -> str:
        """The bucket a configuration step addresses: ours, or one that does not exist."""
        return self.missing_bucket if which == "missing" else self.bucket

    def put_cors(self, put: PutCors, which: str = "provisioned"
                 ) -> tuple[CallResult, Exchange | None]:
        """A PutBucketCors step: the answer is the verdict, not a precondition."""
        self._touch()
        assert self._dialect is not None
        bucket = self.step_bucket(which)
        self._forget_calls()
        body = b""
        if put.config is not None:
            result = self._dialect.put_cors(bucket, put.config)
        else:
            body = pad_body((put.raw_body or "").encode(), put.pad_to_bytes)
            result = self._dialect.put_cors_raw(bucket, body, put.content_md5, put.content_type)
        exchange = self._first_call()
        if result.ok and which == "provisioned":
            stated = put.config if put.config is not None else raw_config(body)
            self._step_changed(stated, "PutBucketCors")
        return result, exchange

    def get_cors(self, which: str = "provisioned"
                 ) -> tuple[CallResult, CorsConfig | None, Exchange | None]:
        """A GetBucketCors step."""
        self.ensure_started()
        assert self._dialect is not None
        self._forget_calls()
        result, config = self._dialect.get_cors(self.step_bucket(which))
        return result, config, self._first_call()

    def delete_cors(self, which: str = "provisioned") -> tuple[CallResult, Exchange | None]:
        """A DeleteBucketCors step."""
        self._touch()
        assert self._dialect is not None
        self._forget_calls()
        result = self._dialect.delete_cors(self.step_bucket(which))
        exchange = self._first_call()
        if result.ok and which == "provisioned":
            self._step_changed(None, "DeleteBucketCors")
        return result, exchange

    def _step_changed(self, wanted: Any, operation: str) -> None:
        """A step changed the configuration: wait until GetBucketCors shows the change.

        What follows (a preflight, a GetBucketCors step) is judged only once it can see it.
        A change that shows otherwise than sent, or not at all, is for the next step to judge.
        """
        if wanted is UNKNOWN:  # a body not even the suite can read: nothing to wait for
            self._watch.shown = UNKNOWN
            return
        self._watch.wait(wanted, time.monotonic(), operation, step=True)

    def _touch(self) -> None:
        """A step is about to change the configuration: forget what was provisioned."""
        self.ensure_started()
        self._fanout.drain()
        self._current, self._changed = None, True

    def _forget_calls(self) -> None:
        """Empty the dialect's log before an operation, so it holds that operation's calls.

        Every exchange that matters was copied into a Provisioned or an item's record; the
        log itself would otherwise grow with the run (a few MB over 10,000 items).
        """
        assert self._dialect is not None
        self._dialect.log.clear()

    def _first_call(self) -> Exchange | None:
        """The exchange a step's own call produced (the log may grow by polling after it)."""
        assert self._dialect is not None
        return self._dialect.log[0] if self._dialect.log else None

    # -- probing ---------------------------------------------------------------------------
    def fire(self, req: ProbeRequest) -> Exchange:
        """Send one preflight or actual request to the bucket the case asks for."""
        if not self.target.endpoint:
            raise TargetError("target has no endpoint", target=self.target.name)
        sent_ahead = self._fanout.take(req)
        ex = sent_ahead if sent_ahead is not None else self._send(req, self._prober)
        self._note_answer(ex)
        return ex

    def _note_answer(self, ex: Exchange) -> None:
        """Stop the run once the target has stopped answering, instead of waiting it out.

        Each request without an answer costs up to its whole deadline; a target that stopped
        answering would otherwise take items × deadline to judge. A single silence is an
        item's failure; SILENT_LIMIT in a row mean the target cannot be used any more.
        """
        if ex.status or not ex.error or not ex.request_headers:  # answered, or never sent
            self._silent = 0
            return
        self._silent += 1
        if self._silent >= SILENT_LIMIT:
            raise TargetUnusable(
                f"the target stopped answering: {self._silent} requests in a row got no "
                f"answer (last: {ex.error}); is it overloaded, or did it stop?",
                target=self.target.name)

    def _send(self, req: ProbeRequest, prober: Prober) -> Exchange:
        bucket = self.missing_bucket if req.bucket == "missing" else self.bucket
        url = self.target.object_url(bucket, req.path)
        if req.sign is not None:  # signed by the dialect's SDK (conformance/signed.py)
            return self._send_signed(req, prober, bucket, url)
        return with_retries(lambda: prober.fire(url, req), retryable_exchange, self._limiter)

    def _send_signed(self, req: ProbeRequest, prober: Prober, bucket: str, url: str
                     ) -> Exchange:
        def fire(u: str, r: ProbeRequest, extra: list[tuple[str, str]]) -> Exchange:
            return with_retries(lambda: prober.fire(u, r, extra), retryable_exchange,
                                self._limiter)

        try:
            url, req, extra = prepare(self._signer, bucket, url, req, fire)
        except SigningError as exc:
            return Exchange(method=req.method, url=url, target=req.path, request_headers=[],
                            error=str(exc))
        return fire(url, req, extra)

    def _send_pooled(self, req: ProbeRequest) -> Exchange:
        """`_send` from a fan-out thread, on that thread's own connection."""
        prober = getattr(self._local, "prober", None)
        if prober is None:
            prober = self._local.prober = Prober(timeout=self.settings.request_timeout)
            self._pooled.append(prober)
        return self._send(req, prober)


def _round_trip_ms(prov: Provisioned) -> float:
    """The quickest call that applied `prov`: what a round trip to the target costs now."""
    return min((ex.elapsed_ms for ex in prov.exchanges if ex.elapsed_ms), default=0.0)


def _kept_calls(log: list[Exchange]) -> list[Exchange]:
    """The calls of a provisioning worth showing: every change, and the last poll only.

    A slow target is polled dozens of times (their count is in `propagation`); repeating
    the same GetBucketCors would bury the change that mattered.
    """
    return [ex for i, ex in enumerate(log) if ex.method != "GET" or i == len(log) - 1]
