"""The whole corpus against real s3rver and moto, as named targets, with their known deviations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.cases import is_case_file, load_case
from conformance.cli import ExitStatus
from tests.targets import servers
from tests.targets.named import name_target, run_named

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "cases"
SERVERS = {"s3rver": servers.s3rver, "moto": servers.moto_server}


@pytest.fixture(params=sorted(SERVERS))
def named_target(request, tmp_path, monkeypatch):
    """A running server, named in a targets.yaml as the README tells users to do."""
    with SERVERS[request.param]() as srv:
        yield name_target(srv, request.param, tmp_path, monkeypatch)


run = run_named


def test_known_deviations_make_the_run_pass(named_target, tmp_path):
    code, doc = run(named_target, tmp_path / "r")
    kinds = {r["classification"] for r in doc["items"]}
    assert code == ExitStatus.OK, kinds
    assert kinds <= {"pass", "known deviation", "skipped"}  # skipped: inapplicable to S3
    known = [r for r in doc["items"] if r["classification"] == "known deviation"]
    assert len(known) >= 50  # these servers are far from OSS: the suite must say so
    # Each configuration is provisioned once; each sequence may add one reset (DeleteBucketCors).
    s3_cases = [load_case(p) for p in sorted(CASES.rglob("*")) if is_case_file(p.name)]
    sequences = sum(c.sequence for c in s3_cases if "s3" in c.dialects)
    distinct = doc["distinct_configurations"]
    assert distinct <= doc["provisioning_calls"] <= distinct + sequences


def test_removing_one_line_fails_exactly_that_item(named_target, tmp_path):
    data = yaml.safe_load((REPO / "expectations" / f"{named_target}.yaml").read_text())
    dropped = sorted(data["deviations"])[0]
    del data["deviations"][dropped]
    trimmed = tmp_path / "trimmed.yaml"
    trimmed.write_text(yaml.safe_dump(data))
    code, doc = run(named_target, tmp_path / "r", "--expectations", str(trimmed))
    assert code == ExitStatus.CONFORMANCE_FAILURES
    news = [r["nodeid"] for r in doc["items"] if r["classification"] == "new deviation"]
    assert news == [dropped]
    failing = next(r for r in doc["items"] if r["nodeid"] == dropped)
    assert any(not c["ok"] for c in failing["checks"]) or failing["error"]
