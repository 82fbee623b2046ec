"""Targets that cannot take PutBucketCors: reported, never a crash; a fixed configuration runs."""

import io
import json
from contextlib import contextmanager

import yaml

from conformance.cases.model import CorsConfig, CorsRule
from conformance.cli import ExitStatus, main
from conformance.dialects.oss import OssDialect
from conformance.reference import ReferenceServer
from conformance.targets import Credentials, Target
from tests.conftest import CANARY_KEY, CANARY_SECRET, SEED
from tests.doubles.mutations import refuse_cors_management, unchanged
from tests.doubles.servers import MutatingProxy

SERVED = CorsConfig(rules=(CorsRule(
    allowed_origins=("http://www.example.com",), allowed_methods=("PUT",),
    allowed_headers=("x-oss-test1", "x-oss-test2"), expose_headers=("x-oss-test1", "x-oss-test2"),
    max_age_seconds=60),))
OTHER_CASE = SEED.read_text().replace("max_age_seconds: 60", "max_age_seconds: 61").replace(
    "name: sample preflight from the Options page", "name: same sample under another max age")


@contextmanager
def minio_like(tmp_path, monkeypatch, fixed: bool):
    """The reference behind a proxy answering 501 to CORS management, its bucket preconfigured;
    yields the case folder (served.yaml matches what it serves, other.yaml does not)."""
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", CANARY_KEY)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", CANARY_SECRET)
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, unchanged, intercept=refuse_cors_management) as proxy:
        admin = OssDialect(Target(endpoint=ref.endpoint), Credentials(CANARY_KEY, CANARY_SECRET))
        assert admin.create_bucket("server-wide").ok and admin.put_cors("server-wide", SERVED).ok
        admin.close()
        yield _project(tmp_path, monkeypatch, proxy.endpoint, fixed)


def _project(tmp_path, monkeypatch, endpoint: str, fixed: bool):
    entry = {"endpoint": endpoint, "dialect": "oss", "bucket_policy": "existing",
             "bucket": "server-wide"}
    if fixed:
        entry["fixed_cors"] = {"rules": [{
            "allowed_origins": ["http://www.example.com"], "allowed_methods": ["PUT"],
            "allowed_headers": ["x-oss-test1", "x-oss-test2"],
            "expose_headers": ["x-oss-test1", "x-oss-test2"], "max_age_seconds": 60}]}
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"targets": {"minio": entry}}))
    monkeypatch.setenv("CONFORMANCE_TARGETS", str(targets))
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "served.yaml").write_text(SEED.read_text())
    (cases / "other.yaml").write_text(OTHER_CASE)
    return cases


def run(cases, reports):
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", str(cases), "--target", "minio", "--reports", str(reports)],
                stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_a_target_answering_501_is_reported_as_provisioning_unsupported(tmp_path, monkeypatch):
    with minio_like(tmp_path, monkeypatch, fixed=False) as cases:
        code, out = run(cases, tmp_path / "r")
    assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR
    assert "Traceback" not in out
    assert "provisioning unsupported: PutBucketCors failed (501 NotImplemented)" in out
    assert "declare the configuration it serves as fixed_cors in targets.yaml" in out


def test_a_declared_fixed_configuration_runs_the_matching_cases(tmp_path, monkeypatch):
    with minio_like(tmp_path, monkeypatch, fixed=True) as cases:
        code, out = run(cases, tmp_path / "r")
    assert code == ExitStatus.OK, out
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    outcomes = sorted((r["case"].rsplit("/", 1)[-1], r["outcome"]) for r in doc["items"])
    assert outcomes == [("other.yaml", "skipped"), ("served.yaml", "passed")]
    assert doc["provisioning_calls"] == 0
    assert "fixed CORS configuration (fixed_cors in targets.yaml) and this case needs another" \
        in out
