"""LocalStack's S3 as an opt-in target: the whole corpus in the s3 dialect, and OSS provisioning.

Every test skips unless $CONFORMANCE_LOCALSTACK_PYTHON names a Python 3.13 interpreter
(shared/reference/local-targets.md §7.3); the first run builds .targets/localstack (about 1 min).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from defusedxml import ElementTree

from conformance.cases import is_case_file, load_case
from conformance.cases.model import CorsConfig, CorsRule
from conformance.cli import ExitStatus
from conformance.dialects.oss import OssDialect
from conformance.dialects.s3 import S3Dialect
from conformance.targets import ephemeral_bucket_name
from tests.targets import servers
from tests.targets.named import name_target, run_named

REPO = Path(__file__).resolve().parent.parent
NAME = "localstack"

# Two rules, every element, headers in mixed case, a partial and a bare wildcard origin.
CONFIG = CorsConfig(rules=(
    CorsRule(allowed_origins=("http://www.example.com", "https://*.example.org"),
             allowed_methods=("PUT", "GET"), allowed_headers=("x-oss-meta-a", "Authorization"),
             expose_headers=("x-oss-meta-b", "ETag"), max_age_seconds=60),
    CorsRule(allowed_origins=("*",), allowed_methods=("GET",)),
))


@pytest.fixture(scope="module")
def localstack() -> Iterator[servers.Server]:
    """One LocalStack for the module (about 4 s to start); skips when not opted in."""
    with servers.localstack() as server:
        yield server


@pytest.fixture
def named_target(localstack: servers.Server, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> str:
    """LocalStack named in a targets.yaml, as the README tells users to do."""
    return name_target(localstack, NAME, tmp_path, monkeypatch)


run = run_named


def test_known_deviations_make_the_run_pass(named_target: str, tmp_path: Path) -> None:
    """The whole corpus: every item passes or is a listed deviation, none unexpectedly."""
    code, doc = run(named_target, tmp_path / "r")
    kinds = {r["classification"] for r in doc["items"]}
    assert code == ExitStatus.OK, kinds
    assert kinds <= {"pass", "known deviation"}
    passed = [r for r in doc["items"] if r["classification"] == "pass"]
    known = [r for r in doc["items"] if r["classification"] == "known deviation"]
    # The closest to S3 of the local servers: nearly everything passes, but not everything.
    assert len(passed) > len(known) > 0
    # Each configuration is provisioned once; each sequence may add one reset (DeleteBucketCors).
    cases = [load_case(p) for p in sorted((REPO / "cases").rglob("*")) if is_case_file(p.name)]
    sequences = sum(c.sequence for c in cases if "s3" in c.dialects)
    distinct = doc["distinct_configurations"]
    assert distinct <= doc["provisioning_calls"] <= distinct + sequences


def test_removing_one_line_fails_exactly_that_item(named_target: str, tmp_path: Path) -> None:
    """Expectations are strict: an unlisted failure is a new deviation (only its file is run)."""
    data = yaml.safe_load((REPO / "expectations" / f"{named_target}.yaml").read_text())
    dropped = sorted(data["deviations"])[0]
    del data["deviations"][dropped]
    trimmed = tmp_path / "trimmed.yaml"
    trimmed.write_text(yaml.safe_dump(data))
    case_file = dropped.split("::")[0]
    code, doc = run(named_target, tmp_path / "r", "--expectations", str(trimmed), case_file)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    news = [r["nodeid"] for r in doc["items"] if r["classification"] == "new deviation"]
    assert news == [dropped]


@pytest.mark.parametrize("signature", ["v4", "v1"])
def test_oss_dialect_provisions_and_reads_back(localstack: servers.Server,
                                               signature: str) -> None:
    """OSS-signed PutBucket/PutBucketCors (V4 and V1) work on LocalStack (local-targets.md §4).

    Read back three ways: S3 GetBucketCors (botocore) returns exactly the configuration; the
    OSS GetBucketCors answer holds it too, but in S3's XML namespace, which alibabacloud-oss-v2
    does not read (it sees no rules); and a preflight shows the rules are live.
    """
    target = localstack.target(dialect="oss", signature_version=signature)
    oss, s3 = OssDialect(target, localstack.credentials), S3Dialect(localstack.target(),
                                                                   localstack.credentials)
    bucket = ephemeral_bucket_name()
    try:
        assert oss.create_bucket(bucket).ok
        assert oss.put_cors(bucket, CONFIG).ok
        scheme = "OSS4-HMAC-SHA256 " if signature == "v4" else "OSS test:"
        assert all(dict(ex.request_headers)["Authorization"].startswith(scheme)
                   for ex in oss.log)

        result, via_s3 = s3.get_cors(bucket)
        assert result.ok and via_s3 == CONFIG

        result, via_oss = oss.get_cors(bucket)
        answer = oss.log[-1]
        assert result.ok and parse_cors_xml(answer.body) == CONFIG
        assert b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' in answer.body
        assert via_oss == CorsConfig(rules=()), "the SDK now reads namespaced XML: assert =="

        granted = requests.options(f"{localstack.endpoint}/{bucket}/k", timeout=10, headers={
            "Origin": "https://a.example.org", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization"})
        assert granted.status_code == 200
        assert granted.headers["Access-Control-Allow-Origin"] == "https://a.example.org"
        assert granted.headers["Access-Control-Max-Age"] == "60"

        assert oss.delete_cors(bucket).status == 204
        assert oss.get_cors(bucket)[0].code == "NoSuchCORSConfiguration"
    finally:
        oss.delete_bucket(bucket)
        oss.close()
        s3.close()


def parse_cors_xml(body: bytes) -> CorsConfig:
    """A GetBucketCors body as a CorsConfig, ignoring any XML namespace."""
    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    rules = []
    for rule in (e for e in ElementTree.fromstring(body) if local(e.tag) == "CORSRule"):
        values: dict[str, list[str]] = {}
        for child in rule:
            values.setdefault(local(child.tag), []).append((child.text or "").strip())
        max_age = values.get("MaxAgeSeconds")
        rules.append(CorsRule(
            allowed_origins=tuple(values.get("AllowedOrigin", ())),
            allowed_methods=tuple(values.get("AllowedMethod", ())),
            allowed_headers=tuple(values.get("AllowedHeader", ())),
            expose_headers=tuple(values.get("ExposeHeader", ())),
            max_age_seconds=int(max_age[0]) if max_age else None))
    return CorsConfig(rules=tuple(rules))
