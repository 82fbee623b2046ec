"""End to end through pytest against the embedded reference endpoint and a deviating double."""

import json

import pytest

from conformance.reference import ReferenceServer
from tests.conftest import CANARY_KEY, CANARY_SECRET
from tests.doubles.mutations import star_and_no_max_age as _star_and_no_max_age
from tests.doubles.servers import MutatingProxy


def test_the_seed_case_passes_on_the_embedded_reference(pytester, case_dir):
    result = pytester.runpytest("--conformance-results=out/results.json")
    result.assert_outcomes(passed=1)
    doc = json.loads((pytester.path / "out/results.json").read_text())
    assert doc["summary"] == {"total": 1, "passed": 1, "browser_visible_deviations": 0,
                              "wire_only_deviations": 0, "classifications": {"pass": 1}}
    assert doc["provisioning_calls"] == 1
    item = doc["items"][0]
    assert item["nodeid"] == (
        "cases/options-page-sample.yaml::sample preflight from the Options page[oss]")
    assert item["browser"]["computed"] == "allowed"
    assert "<CORSConfiguration>" in item["provisioning"]["xml"]


def test_a_deviating_endpoint_fails_with_a_diff_naming_each_wrong_header(
        pytester, case_dir, canary_env):
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, _star_and_no_max_age) as proxy:
        result = pytester.runpytest(f"--endpoint={proxy.endpoint}",
                                    "--conformance-results=results.json")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "FAIL  Access-Control-Allow-Origin" in out
    result.stdout.re_match_lines([r".*FAIL\s+Access-Control-Allow-Origin\s+http://www.example.com"
                                  r"\s+\*\s+must"])
    # Max-Age is only `may` in the seed case: recorded, shown, not failing
    result.stdout.re_match_lines([r".*note\s+Access-Control-Max-Age\s+\(present\)\s+\(absent\)"])
    assert "impact wire-only" in out  # '*' without credentials: the browser still allows
    item = json.loads((pytester.path / "results.json").read_text())["items"][0]
    failed = {c["subject"] for c in item["checks"] if not c["ok"]}
    assert failed == {"header:Access-Control-Allow-Origin", "header:Access-Control-Max-Age"}
    assert item["impact"] == "wire-only"


def test_secrets_appear_nowhere_in_reports_or_terminal(pytester, case_dir, canary_env):
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, _star_and_no_max_age) as proxy:
        result = pytester.runpytest(
            f"--endpoint={proxy.endpoint}", "--conformance-results=r/results.json",
            "--junitxml=r/junit.xml", "--html=r/report.html", "--self-contained-html", "-rA")
    written = [p.read_text() for p in (pytester.path / "r").iterdir()]
    assert len(written) == 3
    for text in [*written, result.stdout.str(), result.stderr.str()]:
        assert CANARY_SECRET not in text
        assert "Signature=" not in text or "Signature=<redacted>" in text
    assert "provisioning" in written[0] or "provisioning" in "".join(written)


def test_a_wrong_secret_is_a_one_line_provisioning_error(pytester, case_dir, monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", CANARY_KEY)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "not-the-secret")
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref:
        result = pytester.runpytest(f"--endpoint={ref.endpoint}")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR  # the CLI's exit 3: nothing judged
    result.stdout.fnmatch_lines(["*STOPPED: * refuses the credentials (PutBucket: 403 "
                                 "SignatureDoesNotMatch)*"])
    assert "Traceback" not in result.stdout.str()
    assert "not-the-secret" not in result.stdout.str()


BROKEN = {
    "broken-yaml.yaml": "title: [unclosed\n",
    "wrong-type.yaml": ("title: t\nspec: [OSS-1]\ncors: null\npreflights:\n  - name: n\n"
                        "    request: {}\n    expect: {status: abc}\n"),
    "unknown-key.yaml": ("title: t\nspec: [OSS-1]\ncors: null\npreflights:\n  - name: n\n"
                         "    request: {}\n    expect: {stauts: 200}\n"),
}


def test_bad_case_files_are_one_line_collection_errors_and_the_rest_still_runs(
        pytester, case_dir):
    for name, text in BROKEN.items():
        (case_dir / name).write_text(text)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=3)
    out = result.stdout.str()
    assert "Traceback" not in out
    result.stdout.fnmatch_lines([
        "*cases/broken-yaml.yaml:2: invalid YAML:*",
        "*cases/unknown-key.yaml:7: preflights[[]0[]].expect.stauts: unknown key 'stauts' "
        "(did you mean 'status'?)*",
        "*cases/wrong-type.yaml:7: preflights[[]0[]].expect.status: 'abc' is not an integer*",
    ], consecutive=False)


def test_yaml_outside_the_case_roots_is_not_collected(pytester, case_dir):
    pytester.mkdir("other").joinpath("x.yaml").write_text("not: a case\n")
    result = pytester.runpytest("other")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
