"""A restore loses nothing (issue 15): every rule, ID, element and order, in all four fault modes.

Targets: moto, s3rver, the reference endpoint, and SeaweedFS and Ceph RGW where installed
(tests/targets/seaweedfs.py, rgw.py skip with the install command otherwise). Set
FIDELITY_FIGURES=FILE to collect one JSON line per restore (target, mode, byte_identical).

The owner's configuration is written as raw XML (rule IDs on S3 targets, ResponseVary on OSS),
a real run changes it, ends (normally, SIGINT, SIGTERM) or is killed (SIGKILL, then
`oss-conformance restore`), and GetBucketCors must then answer the owner's bytes again. A
proxy that drops IDs from PutBucketCors shows that a lossy restore fails loudly (exit 3, journal
kept), where the verification by the case model (which had no IDs) said "restored".
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.cli import ExitStatus, main
from conformance.journal import all_journals, read_journal
from conformance.reference import ReferenceServer
from conformance.targets import Credentials, Target
from tests.doubles.mutations import unchanged
from tests.doubles.servers import MutatingProxy, _ProxyHandler
from tests.targets import servers
from tests.targets.procs import finish

REPO = Path(__file__).resolve().parent.parent
BUCKET = "owner-bucket"
KEY, SECRET = "LTAIfidelityKEY01", "fidelity-canary-SECRET-3c9a"
S3_OWNER = (
    b'<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<CORSRule><ID>owner-app</ID><AllowedOrigin>https://app.owner.test</AllowedOrigin>"
    b"<AllowedOrigin>https://admin.owner.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    b"<AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-owner</AllowedHeader>"
    b"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule>"
    b"<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>"
    b"<CORSRule><ID>uploads</ID><AllowedOrigin>http://*.owner.test</AllowedOrigin>"
    b"<AllowedMethod>POST</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule>"
    b"</CORSConfiguration>")
OSS_OWNER = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>'
    b"<CORSRule><AllowedOrigin>https://app.owner.test</AllowedOrigin>"
    b"<AllowedOrigin>https://admin.owner.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
    b"<AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-owner</AllowedHeader>"
    b"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule>"
    b"<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>"
    b"<CORSRule><AllowedOrigin>http://*.owner.test</AllowedOrigin>"
    b"<AllowedMethod>POST</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule>"
    b"<ResponseVary>true</ResponseVary></CORSConfiguration>")
SUBSET = ("cases/sequences", "cases/vary", "cases/matching/rule-order.yaml")
MODES = ["normal", "SIGINT", "SIGTERM", "SIGKILL"]
FIGURES_ENV = "FIDELITY_FIGURES"  # a file to append one JSON line per restore to

RUN_TIMEOUT = 90.0  # seconds a run under test may take before it is killed


def _extra_kinds() -> list:
    """SeaweedFS and Ceph RGW, where their fixtures exist (tests/targets/seaweedfs.py, rgw.py)."""
    out = []
    for kind in ("seaweedfs", "rgw"):
        have = importlib.util.find_spec(f"tests.targets.{kind}") is not None
        out.append(pytest.param(kind, marks=pytest.mark.skipif(
            not have, reason=f"no fixture tests/targets/{kind}.py")))
    return out


KINDS = ["moto", "s3rver", "reference", *_extra_kinds()]



class _DropIdsHandler(_ProxyHandler):
    """Forwards PutBucketCors with every <ID> element cut out, integrity headers made to fit."""

    def do_PUT(self) -> None:
        proxy = self.server.owner
        if not (proxy.drop_ids and "cors" in self.path):
            self._forward()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cut = re.sub(rb"<ID>[^<]*</ID>", b"", body)
        proxy.dropped += cut != body
        fitted = {
            "Content-Length": str(len(cut)),
            "Content-MD5": base64.b64encode(hashlib.md5(cut).digest()).decode(),  # noqa: S324
            "x-amz-checksum-crc32": base64.b64encode(zlib.crc32(cut).to_bytes(4, "big")).decode(),
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
        for name, value in fitted.items():
            if name in self.headers:
                del self.headers[name]
                self.headers[name] = value
        real, self.rfile = self.rfile, io.BytesIO(cut)
        try:
            self._forward()
        finally:
            self.rfile = real


class IdDroppingProxy(MutatingProxy):
    """A target that silently loses rule IDs on PutBucketCors (moto behind it keeps them)."""

    def __init__(self, upstream: str, mutate, delay_s: float = 0.0) -> None:
        super().__init__(upstream, mutate, delay_s=delay_s)
        self.drop_ids, self.dropped = True, 0
        self.httpd.RequestHandlerClass = _DropIdsHandler

@contextmanager
def real_server(kind: str):
    """(Target for the server itself, credentials, env, dialect name)."""
    if kind == "reference":
        with ReferenceServer(credentials={KEY: SECRET}) as ref:
            yield (Target(name="ref", endpoint=ref.endpoint), Credentials(KEY, SECRET),
                   {"OSS_ACCESS_KEY_ID": KEY, "OSS_ACCESS_KEY_SECRET": SECRET})
        return
    if kind in ("moto", "s3rver"):
        factory = servers.moto_server if kind == "moto" else servers.s3rver
    else:
        factory = importlib.import_module(f"tests.targets.{kind}").run
    with factory() as srv:
        creds = srv.credentials
        yield (srv.target("s3"), creds, {"AWS_ACCESS_KEY_ID": creds.access_key_id,
                                         "AWS_SECRET_ACCESS_KEY": creds.secret})


@contextmanager
def owner_target(kind: str, open_dialect, proxy_class=MutatingProxy):
    """A slowed-down proxy in front of a real server whose bucket holds the owner's rules.

    Yields (Target through the proxy, env, dialect straight to the server, owner's bytes as
    the server returns them, proxy).
    """
    with real_server(kind) as (direct, creds, env):
        dialect = open_dialect(direct, creds)
        assert dialect.create_bucket(BUCKET).ok
        assert dialect.put_object(BUCKET, "owner-object.txt", b"mine").ok
        owner = OSS_OWNER if direct.dialect == "oss" else S3_OWNER
        assert dialect.put_cors_raw(BUCKET, owner).ok
        result, before = dialect.get_cors_raw(BUCKET)
        assert result.ok and before
        if direct.dialect == "s3":
            assert b"<ID>owner-app</ID>" in before and b"<ID>uploads</ID>" in before
        else:
            assert b"<ResponseVary>true</ResponseVary>" in before
        with proxy_class(direct.endpoint, unchanged, delay_s=0.01) as proxy:
            via = Target(name=kind, endpoint=proxy.endpoint, dialect=direct.dialect,
                         region=direct.region)
            yield via, env, dialect, before, proxy


def run_args(tgt: Target, reports: Path, paths: tuple[str, ...] = ()) -> list[str]:
    """`oss-conformance run` against the owner's bucket."""
    argv = ["run", *paths, "--endpoint", tgt.endpoint, "--bucket", BUCKET, "--reports",
            str(reports), "-q"]
    if tgt.dialect == "s3":
        argv += ["--dialect", "s3", "--region", tgt.region or "us-east-1"]
    return argv


def spawn(tgt: Target, env: dict, reports: Path) -> subprocess.Popen:
    """The whole corpus in a subprocess, to be interrupted."""
    return subprocess.Popen(
        [sys.executable, "-m", "conformance", *run_args(tgt, reports)], cwd=REPO,
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until_changed(dialect, before: bytes, proc: subprocess.Popen, timeout=90.0) -> None:
    """Interrupt only once the run has really changed the bucket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it changed anything"
        result, now = dialect.get_cors_raw(BUCKET)
        if not result.ok or now != before:
            return
        time.sleep(0.05)
    raise AssertionError("the run never changed the bucket")




def record(kind: str, mode: str, identical: bool) -> None:
    """Append this restore's figure for the closing note (only when asked to)."""
    path = os.environ.get(FIGURES_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"target": kind, "mode": mode, "byte_identical": identical})
                     + "\n")


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """Journals of this test only."""
    monkeypatch.setenv("CONFORMANCE_STATE_DIR", str(tmp_path / "state"))


def interrupted_run(tgt, env, dialect, before, mode, reports) -> str:
    """Start the corpus, let it change the bucket, then end it the way `mode` says."""
    proc = spawn(tgt, env, reports)
    wait_until_changed(dialect, before, proc)
    sig = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}[mode]
    proc.send_signal(sig)
    out = finish(proc, RUN_TIMEOUT)
    assert SECRET not in out
    if mode != "SIGKILL":
        assert proc.returncode == ExitStatus.INTERRUPTED, out[-3000:]
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_restore_gives_back_the_owners_bytes(kind, mode, tmp_path, monkeypatch,
                                                 open_dialect):
    with owner_target(kind, open_dialect) as (tgt, env, dialect, before, _):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.chdir(REPO)
        out, err = io.StringIO(), io.StringIO()
        if mode == "normal":
            code = main(run_args(tgt, tmp_path / "r", SUBSET), stdout=out, stderr=err)
            assert code in (ExitStatus.OK, ExitStatus.CONFORMANCE_FAILURES), \
                out.getvalue()[-3000:]
        else:
            interrupted_run(tgt, env, dialect, before, mode, tmp_path / "r")
        if mode == "SIGKILL":
            (path,) = all_journals()
            saved = json.loads(path.read_text(encoding="utf-8"))["original"]
            assert base64.b64decode(saved["xml_base64"]) == before  # kept exactly as sent
            assert read_journal(path).original_xml == before
            code = main(["restore"], stdout=out, stderr=err)
            assert code == ExitStatus.OK, err.getvalue()
            assert f"restored {BUCKET}" in out.getvalue()
        result, after = dialect.get_cors_raw(BUCKET)
        assert result.ok
        record(kind, mode, after == before)
        assert after == before, (before, after)
        assert dialect.delete_object(BUCKET, "owner-object.txt").ok  # untouched
        assert not all_journals()


def test_a_target_that_drops_ids_fails_the_restore_loudly(tmp_path, monkeypatch, open_dialect):
    """Restore through a proxy that strips <ID> from every PutBucketCors body."""
    with owner_target("moto", open_dialect, IdDroppingProxy) as (tgt, env, dialect, before,
                                                                   proxy):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.chdir(REPO)
        out, err = io.StringIO(), io.StringIO()
        code = main(run_args(tgt, tmp_path / "r", ("cases/matching/rule-order.yaml",)),
                    stdout=out, stderr=err)
        text = out.getvalue() + err.getvalue()
        assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR, text[-3000:]
        assert "RESTORE FAILED" in text and "/ID" in text and "owner-app" in text
        assert proxy.dropped >= 1
        (path,) = all_journals()  # kept
        assert read_journal(path).original_xml == before
        assert dialect.get_cors_raw(BUCKET)[1] != before

        out, err = io.StringIO(), io.StringIO()
        assert main(["restore"], stdout=out, stderr=err) == ExitStatus.TARGET_OR_PROVISIONING_ERROR
        assert re.search(r"RESTORE FAILED .*CORSRule\[1\]/ID", err.getvalue()), err.getvalue()
        assert "restored" not in out.getvalue()
        assert all_journals() == [path]

        proxy.drop_ids = False  # the target is fixed: the same journal now restores everything
        out, err = io.StringIO(), io.StringIO()
        assert main(["restore"], stdout=out, stderr=err) == ExitStatus.OK, err.getvalue()
        assert dialect.get_cors_raw(BUCKET)[1] == before
        assert not all_journals()


# -- the comparison itself ------------------------------------------------------------------

def test_the_full_fidelity_parse_sees_every_loss_and_nothing_else():
    from conformance.cors_tree import first_difference, parse_tree

    saved = parse_tree(S3_OWNER)
    same = S3_OWNER.replace(b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', b"").replace(
        b"<ID>owner-app</ID>", b"\n  <ID> owner-app </ID>\n")
    assert first_difference(saved, parse_tree(same)) is None  # namespace, whitespace
    losses = {
        b"<ID>owner-app</ID>": b"",  # a dropped ID
        b"<ID>uploads</ID>": b"<ID>Uploads</ID>",  # a changed ID
        b"<MaxAgeSeconds>5</MaxAgeSeconds>": b"",  # a dropped element
        b"<AllowedMethod>PUT</AllowedMethod>": b"",  # one of several values
    }
    for old, new in losses.items():
        found = first_difference(saved, parse_tree(S3_OWNER.replace(old, new)))
        assert found and found.startswith("CORSConfiguration/CORSRule["), (old, found)
    rules = re.findall(rb"<CORSRule>.*?</CORSRule>", S3_OWNER)
    swapped = S3_OWNER.replace(rules[0] + rules[1], rules[1] + rules[0])
    assert first_difference(saved, parse_tree(swapped))  # rule order
    oss = parse_tree(OSS_OWNER)
    vary_lost = OSS_OWNER.replace(b"<ResponseVary>true</ResponseVary>",
                                  b"<ResponseVary>false</ResponseVary>")
    assert "ResponseVary" in first_difference(oss, parse_tree(vary_lost))
    assert "missing now" in first_difference(oss, parse_tree(OSS_OWNER.replace(
        b"<ResponseVary>true</ResponseVary>", b"")))


GOOD_TARGET = {"name": "ref", "endpoint": "http://127.0.0.1:9", "dialect": "oss",
               "addressing": "path", "region": None, "signature_version": "v4"}


class _StoreDialect:
    """A dialect over an in-memory store that rewrites what it is given (no HTTP: the unit
    under test is the verification, shown end to end against moto above)."""

    def __init__(self, stored: bytes, rewrite) -> None:
        self.stored, self.rewrite = stored, rewrite

    def put_cors_raw(self, bucket, body, content_md5="auto", content_type=None):
        from conformance.dialects.base import CallResult

        self.stored = self.rewrite(body)
        return CallResult(200)

    def get_cors_raw(self, bucket):
        from conformance.dialects.base import CallResult

        return CallResult(200), self.stored


@pytest.mark.parametrize("rewrite, fails", [
    (lambda b: b, False),
    (lambda b: b.replace(b"<ResponseVary>true</ResponseVary>", b""), True),
    (lambda b: b.replace(b"<ResponseVary>true", b"<ResponseVary>false"), True),
    (lambda b: b.replace(b"<AllowedHeader>x-owner", b"<AllowedHeader>X-Owner"), True),
    (lambda b: b.replace(b"><", b">\n  <"), False),  # re-indented: same elements
], ids=["kept", "vary-dropped", "vary-flipped", "header-case", "reindented"])
def test_the_restore_fails_loudly_on_any_oss_loss(rewrite, fails, tmp_path):
    from conformance.journal import write_journal
    from conformance.restore import restore_outcome

    path = tmp_path / "journal.json"
    journal = write_journal(path, GOOD_TARGET, BUCKET, OSS_OWNER)
    outcome = restore_outcome(_StoreDialect(b"", rewrite), journal, settle_s=0.1)
    assert (outcome.problem is not None) == fails, outcome
    assert path.exists() == fails  # a failed restore keeps its journal
    if fails:
        assert outcome.problem.startswith("RESTORE FAILED") and "\n" not in outcome.problem


def _garbled_get_cors(method, path, status, headers, body):
    """GetBucketCors answers 200 with a body that is no CORS configuration."""
    if method == "GET" and "cors" in path and status == 200:
        return status, headers, b"<html>not a configuration</html>"
    return status, headers, body


def test_a_body_that_cannot_be_saved_stops_the_run_before_any_change(tmp_path, monkeypatch,
                                                                    open_dialect):
    with real_server("moto") as (direct, creds, env):
        dialect = open_dialect(direct, creds)
        assert dialect.create_bucket(BUCKET).ok and dialect.put_cors_raw(BUCKET, S3_OWNER).ok
        before = dialect.get_cors_raw(BUCKET)[1]
        with MutatingProxy(direct.endpoint, _garbled_get_cors, only_options=False) as proxy:
            tgt = Target(name="moto", endpoint=proxy.endpoint, dialect="s3")
            for k, v in env.items():
                monkeypatch.setenv(k, v)
            monkeypatch.chdir(REPO)
            out, err = io.StringIO(), io.StringIO()
            code = main(run_args(tgt, tmp_path / "r", ("cases/matching/rule-order.yaml",)),
                        stdout=out, stderr=err)
        assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR, out.getvalue()[-2000:]
        assert "cannot be saved for a restore" in out.getvalue()
        assert "Traceback" not in out.getvalue() + err.getvalue()
        assert dialect.get_cors_raw(BUCKET)[1] == before  # never touched
        assert not all_journals()
