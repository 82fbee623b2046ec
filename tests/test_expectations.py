"""Known deviations as data: listed failures pass the run, new ones and unexpected passes fail."""

import json

import pytest

from conformance.expectations import classify, load_expectations, summarize
from conformance.reference import ReferenceServer
from tests.conftest import CANARY_KEY, CANARY_SECRET
from tests.doubles.mutations import star_and_no_max_age
from tests.doubles.servers import MutatingProxy

NODEID = "cases/options-page-sample.yaml::sample preflight from the Options page[oss]"


@pytest.fixture
def deviating(canary_env):
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, star_and_no_max_age) as proxy:
        yield proxy.endpoint


def write(pytester, nodeid=NODEID, **extra):
    entry = {"reason": "answers * for every grant", **extra}
    pytester.makefile(".yaml", expectations=json.dumps(
        {"target": "double", "deviations": {nodeid: entry}}))
    return "--expectations=expectations.yaml"


def test_a_listed_deviation_is_known_and_the_run_passes(pytester, case_dir, deviating):
    result = pytester.runpytest(f"--endpoint={deviating}", write(pytester),
                                "--conformance-results=r.json")
    result.assert_outcomes(xfailed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*1 known deviation*"])
    rec = json.loads((pytester.path / "r.json").read_text())["items"][0]
    assert rec["classification"] == "known deviation"
    assert rec["known_deviation"] == "answers * for every grant"


def test_removing_the_line_makes_exactly_that_item_fail(pytester, case_dir, deviating):
    result = pytester.runpytest(f"--endpoint={deviating}",
                                write(pytester, nodeid="cases/other.yaml::x[oss]"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"new deviation: {NODEID}"])


def test_a_listed_item_that_passes_is_an_unexpected_pass(pytester, case_dir):
    result = pytester.runpytest(write(pytester), "--conformance-results=r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*known deviation: answers * for every grant*"])
    rec = json.loads((pytester.path / "r.json").read_text())["items"][0]
    assert rec["classification"] == "unexpected pass"


def test_an_intermittent_deviation_may_pass(pytester, case_dir):
    result = pytester.runpytest(write(pytester, intermittent=True))
    result.assert_outcomes(xpassed=1)
    assert result.ret == 0


def test_update_expectations_writes_the_failures_with_a_reason(pytester, case_dir, deviating):
    result = pytester.runpytest(f"--endpoint={deviating}", "--expectations=exp/double.yaml",
                                "--update-expectations")
    result.assert_outcomes(failed=1)
    known = load_expectations(pytester.path / "exp/double.yaml")
    assert list(known) == [NODEID]
    assert known[NODEID].reason == (
        "Access-Control-Allow-Origin: expected http://www.example.com, got *")
    again = pytester.runpytest(f"--endpoint={deviating}", "--expectations=exp/double.yaml")
    again.assert_outcomes(xfailed=1)


def test_a_malformed_expectations_file_is_a_one_line_usage_error(pytester, case_dir):
    pytester.makefile(".yaml", expectations="target: x\ndeviations:\n  nonsense: {}\n")
    result = pytester.runpytest("--expectations=expectations.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: expectations.yaml:3: deviations: 'nonsense' is not a "
                                 "node id such as cases/<area>/<file>.yaml::<preflight name>[oss]"])


@pytest.mark.parametrize("outcome, listed, kind", [
    ("passed", False, "pass"), ("warned", False, "pass"), ("failed", False, "new deviation"),
    ("xfailed", True, "known deviation"), ("failed", True, "unexpected pass"),
    ("xpassed", True, "unexpected pass"), ("skipped", False, "skipped"),
    ("failed", False, "error"),
])
def test_classification(outcome, listed, kind):
    assert classify(outcome, listed, error=kind == "error") == kind


def test_summary_names_up_to_three_mismatches():
    checks = [{"subject": f"header:H{i}", "expected": "a", "actual": "b", "ok": False,
               "level": "must"} for i in range(5)]
    assert summarize({"checks": checks}) == (
        "H0: expected a, got b; H1: expected a, got b; H2: expected a, got b (+2 more)")


def test_a_rewrite_keeps_the_files_own_header_comments(tmp_path):
    """A header saying what the file assumes (e.g. MOTO_DISABLE_GLOBAL_CORS=true) survives."""
    from conformance.expectations import write_expectations

    path = tmp_path / "moto.yaml"
    path.write_text("# Known deviations of moto.\n# Measured with MOTO_DISABLE_GLOBAL_CORS=true.\n"
                    "target: moto\ndeviations: {}\n")
    record = {"nodeid": "cases/a.yaml::x[s3]", "outcome": "failed", "error": None,
              "checks": [{"subject": "status", "ok": False, "level": "must",
                          "expected": "403", "actual": "200"}]}
    assert write_expectations(path, "moto", [record], {}) == 1
    text = path.read_text()
    assert text.startswith("# Known deviations of moto.\n# Measured with "
                           "MOTO_DISABLE_GLOBAL_CORS=true.\ntarget: moto\n")
    assert "status: expected 403, got 200" in text
