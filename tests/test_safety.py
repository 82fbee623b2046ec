"""Existing buckets are left exactly as found: normal end, SIGINT, SIGTERM, SIGKILL + restore.

Runs go through the real CLI in a subprocess against real servers (the reference endpoint and
moto), interrupted only once the run has changed the bucket's configuration.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.cases.model import CorsConfig, CorsRule, same_config
from conformance.cli import ExitStatus, main
from conformance.journal import all_journals
from conformance.reference import ReferenceServer
from conformance.targets import Credentials, Target
from tests.doubles.mutations import unchanged
from tests.doubles.servers import MutatingProxy
from tests.targets import servers
from tests.targets.procs import finish

REPO = Path(__file__).resolve().parent.parent
BUCKET = "owner-bucket"
ORIGINAL = CorsConfig(rules=(
    CorsRule(("https://app.owner.test",), ("GET", "PUT"), ("x-owner",), ("ETag",), 300),
    CorsRule(("*",), ("HEAD",)),
    CorsRule(("http://*.owner.test",), ("POST",), max_age_seconds=5),
), response_vary=True)
KEY, SECRET = "LTAIsafetyKEY0001", "safety-canary-SECRET-7e1f"

RUN_TIMEOUT = 60.0  # seconds a run under test may take before it is killed


@contextmanager
def target(kind: str):
    """(Target, credentials, env) for a slowed-down real server holding the owner's bucket."""
    if kind == "reference":
        with ReferenceServer(credentials={KEY: SECRET}) as ref, \
                MutatingProxy(ref.endpoint, unchanged, delay_s=0.01) as proxy:
            yield (Target(name="ref", endpoint=proxy.endpoint), Credentials(KEY, SECRET),
                   {"OSS_ACCESS_KEY_ID": KEY, "OSS_ACCESS_KEY_SECRET": SECRET})
    else:
        with servers.moto_server() as srv, \
                MutatingProxy(srv.endpoint, unchanged, delay_s=0.01) as proxy:
            creds = srv.credentials
            yield (Target(name="moto", endpoint=proxy.endpoint, dialect="s3"), creds,
                   {"AWS_ACCESS_KEY_ID": creds.access_key_id,
                    "AWS_SECRET_ACCESS_KEY": creds.secret})


def owner_setup(tgt: Target, creds: Credentials, original: CorsConfig | None, open_dialect):
    dialect = open_dialect(tgt, creds)
    assert dialect.create_bucket(BUCKET).ok
    assert dialect.put_object(BUCKET, "owner-object.txt", b"mine").ok
    if original is not None:
        assert dialect.put_cors(BUCKET, expected(tgt, original)).ok
    dialect.owner_bytes = dialect.get_cors_raw(BUCKET)[1]  # what the restore must give back
    return dialect


def expected(tgt: Target, config: CorsConfig) -> CorsConfig:
    """S3 has no ResponseVary."""
    return CorsConfig(config.rules, None) if tgt.dialect == "s3" else config


def assert_as_found(dialect, tgt: Target, original: CorsConfig | None) -> None:
    result, seen = dialect.get_cors(BUCKET)
    if original is None:
        assert result.code == "NoSuchCORSConfiguration", (result, seen)
    else:
        assert result.ok and same_config(seen, expected(tgt, original)), seen
        assert seen.response_vary in (None, True)
    assert dialect.get_cors_raw(BUCKET)[1] == dialect.owner_bytes  # byte for byte (issue 15)
    assert dialect.delete_object(BUCKET, "owner-object.txt").ok  # still there, untouched
    assert not all_journals()


# Enough to change the bucket many times, through provisioning and sequence steps alike.
SUBSET = ["cases/sequences", "cases/vary", "cases/matching/rule-order.yaml"]


def run_args(tgt: Target, reports: Path, paths: tuple[str, ...] = ()) -> list[str]:
    argv = ["run", *paths, "--endpoint", tgt.endpoint, "--bucket", BUCKET, "--reports",
            str(reports), "-q"]
    return argv + (["--dialect", "s3", "--region", "us-east-1"] if tgt.dialect == "s3" else [])


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFORMANCE_STATE_DIR", str(tmp_path / "state"))


@pytest.mark.parametrize("kind", ["reference", "moto"])
@pytest.mark.parametrize("original", [ORIGINAL, None], ids=["with-rules", "no-rules"])
def test_a_normal_run_restores_the_owner_configuration(kind, original, tmp_path, monkeypatch,
                                                      open_dialect):
    with target(kind) as (tgt, creds, env):
        dialect = owner_setup(tgt, creds, original, open_dialect)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.chdir(REPO)
        code = main(run_args(tgt, tmp_path / "r", tuple(SUBSET)), stdout=out, stderr=err)
        assert code in (ExitStatus.OK, ExitStatus.CONFORMANCE_FAILURES), out.getvalue()[-3000:]
        assert_as_found(dialect, tgt, original)


def test_an_existing_bucket_gets_each_configurations_reads_together(tmp_path, monkeypatch,
                                                                    open_dialect):
    """Configurations one at a time, their preflights concurrently and bounded (issue 7)."""
    with ReferenceServer(credentials={KEY: SECRET}) as ref, \
            MutatingProxy(ref.endpoint, unchanged, delay_s=0.01) as proxy:
        tgt = Target(name="ref", endpoint=proxy.endpoint)
        dialect = owner_setup(tgt, Credentials(KEY, SECRET), ORIGINAL, open_dialect)
        monkeypatch.setenv("OSS_ACCESS_KEY_ID", KEY)
        monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SECRET)
        monkeypatch.chdir(REPO)
        out = io.StringIO()
        argv = run_args(tgt, tmp_path / "r", ("cases/matching", "cases/preflight"))
        assert main([*argv, "--concurrency", "4"], stdout=out) == ExitStatus.OK, out.getvalue()
        assert 2 <= proxy.most_in_flight <= 4  # together, and never more than asked
        assert_as_found(dialect, tgt, ORIGINAL)


def wait_until_changed(dialect, tgt: Target, original, proc, timeout=60.0) -> None:
    """Interrupt only once the run has really changed the bucket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it changed anything"
        result, seen = dialect.get_cors(BUCKET)
        if original is None and result.ok:
            return
        if original is not None and result.ok and not same_config(seen, expected(tgt, original)):
            return
        time.sleep(0.05)
    raise AssertionError("the run never changed the bucket")


def spawn(tgt: Target, env: dict, reports: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "conformance", *run_args(tgt, reports)], cwd=REPO,
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)




@pytest.mark.parametrize("kind", ["reference", "moto"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_restores_before_exiting(kind, sig, tmp_path, open_dialect):
    with target(kind) as (tgt, creds, env):
        dialect = owner_setup(tgt, creds, ORIGINAL, open_dialect)
        proc = spawn(tgt, env, tmp_path / "r")
        wait_until_changed(dialect, tgt, ORIGINAL, proc)
        proc.send_signal(sig)
        out = finish(proc, RUN_TIMEOUT)
        assert proc.returncode == ExitStatus.INTERRUPTED, out[-3000:]
        assert SECRET not in out
        assert_as_found(dialect, tgt, ORIGINAL)


@pytest.mark.parametrize("kind", ["reference", "moto"])
@pytest.mark.parametrize("original", [ORIGINAL, None], ids=["with-rules", "no-rules"])
def test_after_sigkill_the_next_run_refuses_until_restore(kind, original, tmp_path,
                                                           monkeypatch, open_dialect):
    with target(kind) as (tgt, creds, env):
        dialect = owner_setup(tgt, creds, original, open_dialect)
        proc = spawn(tgt, env, tmp_path / "r")
        wait_until_changed(dialect, tgt, original, proc)
        proc.kill()
        finish(proc, RUN_TIMEOUT)
        assert len(all_journals()) == 1
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        out, err = io.StringIO(), io.StringIO()
        code = main(run_args(tgt, tmp_path / "again"), stdout=out, stderr=err)
        assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR
        assert "did not finish" in out.getvalue() and "oss-conformance restore" in out.getvalue()
        code = main(["restore"], stdout=out, stderr=err)
        assert code == ExitStatus.OK, err.getvalue()
        assert f"restored {BUCKET}" in out.getvalue()
        assert_as_found(dialect, tgt, original)


def test_dry_run_sends_nothing(tmp_path, monkeypatch, open_dialect):
    with ReferenceServer(credentials={KEY: SECRET}) as ref:
        tgt = Target(name="ref", endpoint=ref.endpoint)
        owner_setup(tgt, Credentials(KEY, SECRET), ORIGINAL, open_dialect)
        before = ref.request_count
        monkeypatch.setenv("OSS_ACCESS_KEY_ID", KEY)
        monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SECRET)
        out, err = io.StringIO(), io.StringIO()
        code = main([*run_args(tgt, tmp_path / "r"), "--dry-run"], stdout=out, stderr=err)
        assert code == ExitStatus.OK
        assert ref.request_count == before
    text = out.getvalue()
    assert "dry run: nothing was sent" in text
    assert f"existing bucket {BUCKET}" in text and "configuration changes: at most" in text
    assert not (tmp_path / "r" / "results.json").exists()
