"""Items that cannot apply to the target's dialect are skipped with their reason, never dropped."""

import json

import pytest

from conformance.cases import parse_case

CASE = """\
title: t
spec: [OSS-21]
{case_level}
cors:
  rules:
    - allowed_origins: [http://a.test]
      allowed_methods: [GET]
preflights:
  - name: granted
    request: {{origin: http://a.test, request_method: GET}}
    expect: {{status: 200}}
  - name: oss only
    inapplicable: {{s3: "an OSS-only error element"}}
    request: {{origin: http://a.test, request_method: GET}}
    expect: {{status: 200}}
"""


def test_reasons_come_from_the_case_the_preflight_and_response_vary():
    case = parse_case(CASE.format(case_level=""), "x.yaml")
    granted, oss_only = case.preflights
    assert case.skip_reason(granted, "s3") is None
    assert case.skip_reason(oss_only, "s3") == "an OSS-only error element"
    assert case.skip_reason(oss_only, "oss") is None
    whole = parse_case(CASE.format(case_level='inapplicable: {oss: "S3-only"}'), "x.yaml")
    assert whole.skip_reason(granted, "oss") == "S3-only" and whole.dialects == ("s3",)
    vary = parse_case(CASE.format(case_level="").replace(
        "allowed_methods: [GET]", "allowed_methods: [GET]\n  response_vary: true"), "x.yaml")
    assert "ResponseVary" in vary.skip_reason(granted, "s3")


def test_an_empty_reason_is_a_format_error():
    from conformance.cases import CaseFileErrors

    with pytest.raises(CaseFileErrors, match=r"inapplicable\.s3"):
        parse_case(CASE.format(case_level='inapplicable: {s3: ""}'), "x.yaml")


def test_a_skipped_item_carries_its_reason_to_results_json(pytester, case_dir):
    (case_dir / "x.yaml").write_text(CASE.format(case_level=""))
    result = pytester.runpytest("--conformance-results=out/results.json", "--dialect=oss",
                                str(case_dir / "x.yaml"))
    result.assert_outcomes(passed=2)
    items = json.loads((pytester.path / "out/results.json").read_text())["items"]
    assert all(i.get("skip_reason") is None for i in items)


def test_the_other_dialect_reports_the_item_as_skipped_with_its_reason(
        pytester, case_dir, monkeypatch):
    """In an S3 run the OSS-only item still appears: skipped, with its reason everywhere."""
    from tests.targets.servers import s3rver

    (case_dir / "x.yaml").write_text(CASE.format(case_level=""))
    with s3rver() as server:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.credentials.access_key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.credentials.secret)
        result = pytester.runpytest("--conformance-results=out/results.json", "--dialect=s3",
                                    f"--endpoint={server.endpoint}", "--region=us-east-1",
                                    str(case_dir / "x.yaml"))
    assert result.parseoutcomes().get("skipped") == 1
    result.stdout.fnmatch_lines(["*skipped 1: not applicable to s3: an OSS-only error element*"])
    items = json.loads((pytester.path / "out/results.json").read_text())["items"]
    skipped = [i for i in items if i["classification"] == "skipped"]
    assert [i["skip_reason"] for i in skipped] == [
        "not applicable to s3: an OSS-only error element"]
    assert skipped[0]["nodeid"].endswith("::oss only[s3]")
