"""The browser's decision decides: a browser-visible deviation fails whatever the header levels."""

import json

from conformance.cases.model import Check, Exact, ProbeRequest
from conformance.exchange import Exchange
from conformance.expect import evaluate
from conformance.reference import ReferenceServer
from conformance.report.render import diff_text
from tests.conftest import CANARY_KEY, CANARY_SECRET
from tests.doubles.servers import MutatingProxy

ACTUAL_GET = ProbeRequest(method="GET", path="/k", origin="http://www.example.com")


def answer(headers):
    return Exchange("GET", "http://t/b/k", "/b/k", [("Host", "t")], 200, "OK", headers, b"")


def checks(browser_level):
    return (Check("header:Access-Control-Allow-Origin", Exact("http://www.example.com"),
                  "should"),
            Check("browser", Exact("allowed"), browser_level))


def test_a_should_level_browser_verdict_that_flips_fails_the_item():
    verdict = evaluate(checks("should"), ACTUAL_GET, answer([]))
    assert verdict.impact == "browser-visible"
    assert verdict.outcome == "fail"
    assert [r.check.subject for r in verdict.failures] == ["browser"]
    assert "FAIL  browser" in diff_text(verdict)  # the diff says FAIL, not WARN


def test_wire_only_should_differences_still_only_warn():
    """Allow-Origin '*' instead of the echo: the browser still lets it through (no credentials)."""
    verdict = evaluate(checks("should"), ACTUAL_GET,
                       answer([("Access-Control-Allow-Origin", "*")]))
    assert verdict.impact == "wire-only" and verdict.outcome == "warn"


def test_a_may_level_browser_verdict_is_recorded_only():
    """`may` says the evidence does not know what the browser should decide."""
    verdict = evaluate(checks("may"), ACTUAL_GET, answer([]))
    assert verdict.outcome == "warn" and not verdict.failures


CASE = """\
title: An actual GET from a matched origin is readable by the page
spec: [OSS-68]
cors:
  rules:
    - allowed_origins: [http://www.example.com]
      allowed_methods: [GET]
preflights:
  - name: the actual GET carries Allow-Origin
    level: should
    request: {method: GET, path: /conformance-object.txt, origin: http://www.example.com}
    expect:
      status: 200
      headers: {Access-Control-Allow-Origin: http://www.example.com}
      browser: allowed
"""


def drop_allow_origin(method, path, status, headers, body):
    """A clone that forgets CORS headers on actual responses (moto#6371-like)."""
    return status, [(n, v) for n, v in headers
                    if n.lower() != "access-control-allow-origin"], body


def test_a_run_fails_on_a_browser_visible_deviation_of_should_level_checks(
        pytester, case_dir, canary_env):
    (case_dir / "actual.yaml").write_text(CASE)
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, drop_allow_origin, only_options=False) as proxy:
        result = pytester.runpytest(f"--endpoint={proxy.endpoint}", str(case_dir / "actual.yaml"),
                                    "--conformance-results=results.json")
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    item = json.loads((pytester.path / "results.json").read_text())["items"][0]
    assert item["impact"] == "browser-visible"
    result.stdout.re_match_lines([r".*FAIL\s+browser\s+allowed\s+blocked"])


def test_results_count_browser_visible_deviations_first():
    from conformance.report.results import impact_counts

    records = [{"classification": "new deviation", "impact": "browser-visible"},
               {"classification": "known deviation", "impact": "browser-visible"},
               {"classification": "new deviation", "impact": "wire-only"},
               {"classification": "pass", "impact": None}]
    assert impact_counts(records) == {"browser_visible_deviations": 2, "wire_only_deviations": 1}
