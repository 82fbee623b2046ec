"""Edge inputs and configuration edges (issue 13): each clone bug fails a run, naming what.

Every double is a real loopback proxy in front of the embedded reference (tests/doubles/
edge_doubles.py) with exactly one bug; the run goes through the CLI, in both dialects where
the evidence makes the bug a failure there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.cases.loader import parse_case
from conformance.cases.model import CorsConfig, CorsRule, render_config
from conformance.cli import ExitStatus
from conformance.dialects.oss import _with_ids
from conformance.readiness import in_effect, raw_config
from tests.doubles.cli_runs import run_cli
from tests.doubles.edge_doubles import (
    RuleLimitIgnored,
    drop_rule_ids,
    grant_any_case_and_patch,
    grant_without_method,
    ok_without_origin,
)

CASES = Path(__file__).resolve().parent.parent / "cases"
MISSING = CASES / "errors" / "missing-request-headers.yaml"
STAR = CASES / "preflight-edges" / "star-rule-methods-and-origins.yaml"
LIMIT = CASES / "configuration-edges" / "s3-rule-limit.yaml"
IDS = CASES / "configuration-edges" / "rule-ids.yaml"


def run(tmp_path: Path, dialect: str, case: Path, edge=None, mutate=None) -> tuple[int, str, dict]:
    """Run one case file through a double (or the bare reference): exit, output, results."""
    return run_cli(tmp_path, dialect, [case], edge, mutate, only_options=edge is not None,
                   bare=edge is None and mutate is None)


def failed(results: dict) -> dict[str, list[str]]:
    """Failed items by preflight name: the subjects of their failing checks."""
    return {i["preflight"]: [c["subject"] for c in i["checks"] if not c["ok"]]
            for i in results["items"] if i["outcome"] == "failed"}


def item(results: dict, name: str) -> dict:
    return next(i for i in results["items"] if i["preflight"] == name)


@pytest.mark.parametrize("dialect", ["oss", "s3"])
def test_a_preflight_granted_without_request_method_fails(tmp_path, keys, dialect):
    code, out, results = run(tmp_path, dialect, MISSING, edge=grant_without_method)
    assert code == ExitStatus.CONFORMANCE_FAILURES, out
    bad = failed(results)
    name = ("a preflight without Access-Control-Request-Method is rejected as insufficient "
            "information")
    assert "header:Access-Control-Allow-Origin" in bad[name]
    assert "Access-Control-Allow-Origin" in out


@pytest.mark.parametrize("dialect", ["oss", "s3"])
def test_lower_case_put_and_patch_granted_fail_where_the_browser_would_act(
        tmp_path, keys, dialect):
    code, out, results = run(tmp_path, dialect, STAR, edge=grant_any_case_and_patch)
    assert code == ExitStatus.CONFORMANCE_FAILURES, out
    bad = failed(results)
    for name in ("PATCH is refused though the rule allows every origin",
                 "a lower-case patch, sent as typed by browsers, is refused"):
        # The echoed method flips the browser's decision: a failure even where the header
        # checks are `should` (OSS-37); in S3 the refusal itself is documented (S3-33).
        assert "browser" in bad[name], bad
        assert item(results, name)["impact"] == "browser-visible"
        if dialect == "s3":
            assert "header:Access-Control-Allow-Origin" in bad[name]
    # No browser sends a lower-case put, and nothing documents it: recorded, not failed.
    put = item(results, "a lower-case put, which no browser sends, is compared as sent and refused")
    assert put["outcome"] != "failed" and not all(c["ok"] for c in put["checks"])
    assert "Access-Control-Allow-Methods" in out


def test_a_preflight_without_origin_answered_200_fails_in_oss(tmp_path, keys):
    code, out, results = run(tmp_path, "oss", MISSING, edge=ok_without_origin)
    assert code == ExitStatus.CONFORMANCE_FAILURES, out
    bad = failed(results)
    assert bad["a preflight without Origin is rejected as insufficient information"][0] == "status"
    assert "status" in out and "400" in out


def test_a_preflight_without_origin_answered_200_is_a_warning_in_s3(tmp_path, keys):
    """S3's 400 for a missing Origin is recorded, not documented (S3-4): should."""
    code, out, results = run(tmp_path, "s3", MISSING, edge=ok_without_origin)
    name = "a preflight without Origin is rejected as insufficient information"
    checks = {c["subject"]: c for c in item(results, name)["checks"]}
    assert not checks["status"]["ok"] and checks["status"]["level"] == "should"
    assert code == ExitStatus.OK, out


def test_an_s3_clone_storing_101_rules_fails(tmp_path, keys):
    code, out, results = run(tmp_path, "s3", LIMIT, edge=RuleLimitIgnored())
    assert code == ExitStatus.CONFORMANCE_FAILURES, out
    bad = failed(results)
    assert bad == {"the refused put left the hundred rules in place": ["cors"]}, bad
    put = item(results, "a hundred and one rules are refused")
    refused = {c["subject"]: c for c in put["checks"]}
    assert refused["status"]["actual"] == "200" and refused["status"]["level"] == "should"
    assert "FAIL  cors" in out and "status: expected 400, got 200" in out
    shown = item(results, "the refused put left the hundred rules in place")["checks"][-1]
    assert shown["subject"] == "cors" and shown["actual"] != shown["expected"]


def test_a_clone_dropping_rule_ids_fails(tmp_path, keys):
    code, out, results = run(tmp_path, "s3", IDS, mutate=drop_rule_ids)
    assert code == ExitStatus.CONFORMANCE_FAILURES, out
    bad = failed(results)
    assert bad["GetBucketCors returns each rule with its ID"] == ["cors"]
    assert "id=first-rule" in out


@pytest.mark.parametrize("dialect", ["oss", "s3"])
def test_both_references_pass_the_new_cases(tmp_path, keys, dialect):
    code, out, results = run(tmp_path, dialect, CASES / "configuration-edges")
    assert code == ExitStatus.OK, out
    code, out, _ = run(tmp_path / "edges", dialect, CASES / "preflight-edges")
    assert code == ExitStatus.OK, out


# --- the case-format pieces these cases need -------------------------------------------------

RULE = CorsRule(("http://a.test",), ("GET",))


def test_ids_are_compared_only_when_the_expected_configuration_states_one():
    with_id = CorsConfig((CorsRule(("http://a.test",), ("GET",), id="r1"),))
    assert render_config(with_id) == "rule1[id=r1 origins=http://a.test methods=GET]"
    assert render_config(with_id, ids=False) == render_config(CorsConfig((RULE,)))


def test_readiness_counts_an_added_or_dropped_id_as_in_effect():
    with_id = CorsConfig((CorsRule(("http://a.test",), ("GET",), id="r1"),))
    assert in_effect(with_id, CorsConfig((RULE,)))  # the server added one
    assert in_effect(CorsConfig((RULE,)), with_id)  # dropped: the GetBucketCors item judges
    body = b"<CORSConfiguration><CORSRule><ID>r1</ID><AllowedOrigin>http://a.test</AllowedOrigin>" \
           b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
    assert raw_config(body).rules[0].id == "r1"
    assert _with_ids(CorsConfig((RULE,)), body) == with_id


def test_a_cors_check_takes_its_own_level_and_spec():
    case = parse_case("""\
title: t
spec: [OSS-41]
steps:
  - name: read
    get_cors: true
    expect:
      status: 200
      cors: {equals: {rules: [{id: x, allowed_origins: ["*"], allowed_methods: [GET]}]},
             level: may, spec: [S3-52]}
""", "cases/t.yaml")
    check = next(c for c in case.preflights[0].checks_for("s3") if c.subject == "cors")
    assert (check.level, check.spec) == ("may", ("S3-52",))
    assert check.matcher.value == "rule1[id=x origins=* methods=GET]"
