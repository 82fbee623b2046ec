"""report.html stays small for passing items; results.json is streamed from the spool."""

import html
import json
import re
from types import SimpleNamespace

from conformance.cases.model import Check, Exact, Tokens
from conformance.expect import evaluate
from conformance.reference import ReferenceServer
from conformance.report.collector import ResultsCollector
from conformance.report.render import checks_text
from conformance.report.results import _umask
from tests.conftest import CANARY_KEY, CANARY_SECRET
from tests.doubles.mutations import star_and_no_max_age
from tests.doubles.servers import MutatingProxy
from tests.test_expect import GRANT, PREFLIGHT

TWO_PREFLIGHTS = """\
title: Two preflights share one configuration
spec: [oss:Options, OSS-21]
dialects: [oss]
cors:
  rules:
    - allowed_origins: [http://www.example.com]
      allowed_methods: [PUT, GET]
      allowed_headers: [x-oss-test1, x-oss-test2, x-oss-test3, x-oss-test4]
      expose_headers: [x-oss-test1, x-oss-test2, x-oss-test3, x-oss-test4]
      max_age_seconds: 60
preflights:
  - name: put
    request: {path: /o, origin: http://www.example.com, request_method: PUT}
    expect: {status: 200, headers: {Access-Control-Allow-Origin: http://www.example.com}}
  - name: get
    request: {path: /o, origin: http://www.example.com, request_method: GET}
    expect: {status: 200, headers: {Access-Control-Allow-Origin: http://www.example.com}}
"""


def page_tests(path):
    """report.html's page and its per-test data, as pytest-html's script reads them."""
    page = path.read_text()
    blob = re.search(r'data-jsonblob="([^"]*)"', page).group(1)
    return page, json.loads(html.unescape(blob))["tests"]


def test_passing_items_link_their_configuration_which_the_page_lists_once(pytester):
    pytester.makeini("[pytest]\nconformance_case_roots = cases\n")
    pytester.mkdir("cases").joinpath("two.yaml").write_text(TWO_PREFLIGHTS)
    result = pytester.runpytest("--html=r/report.html", "--self-contained-html")
    result.assert_outcomes(passed=2)
    page, tests = page_tests(pytester.path / "r/report.html")
    anchors = set()
    for (run,) in tests.values():
        (extra,) = run["extras"]
        content = extra["content"]
        assert "<h4>Preflight exchange</h4><pre>OPTIONS /" in content  # every exchange shown
        assert "all 2 checks ok" in content and "CORSConfiguration" not in content
        anchors |= set(re.findall(r'href="#(cc-config-\w+)"', content))
    (anchor,) = anchors  # one configuration, listed once, outside the per-test data
    assert page.count(f'id="{anchor}"') == 1
    assert "&lt;CORSConfiguration&gt;&lt;CORSRule&gt;" in page


def test_a_failing_item_keeps_the_table_the_xml_and_the_calls_inline(
        pytester, case_dir, canary_env):
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, star_and_no_max_age) as proxy:
        result = pytester.runpytest(f"--endpoint={proxy.endpoint}", "--html=r/report.html",
                                    "--self-contained-html")
    result.assert_outcomes(failed=1)
    _, tests = page_tests(pytester.path / "r/report.html")
    ((run,),) = tests.values()
    content = run["extras"][0]["content"]
    assert '<tr class="cc-fail">' in content
    assert "<h4>Provisioned CORS configuration</h4><pre>&lt;CORSConfiguration&gt;" in content
    assert "<h4>Provisioning calls (this configuration)</h4>" in content
    assert CANARY_SECRET not in content


def test_the_compact_checks_say_the_shared_level_once_and_only_differing_actuals():
    checks = (Check("status", Exact(200), spec=("OSS-20",)),
              Check("header:Access-Control-Allow-Methods", Tokens(("GET", "PUT")),
                    spec=("OSS-20",)))
    text = checks_text(evaluate(checks, PREFLIGHT, GRANT))
    assert text.splitlines()[:3] == [
        "all 2 checks ok, each must OSS-20 (expected -> actual where they differ)",
        "status: 200",
        "Access-Control-Allow-Methods: tokens {GET, PUT} -> PUT, GET",
    ]


def record(nodeid, applied_by, calls=None):
    prov = {"config_key": "k1", "applied_by": applied_by, "config": None, "xml": "<X/>"}
    if calls is not None:
        prov["calls"] = calls
    return {"nodeid": nodeid, "case": "cases/a.yaml", "outcome": "passed", "impact": None,
            "classification": "pass", "error": None, "browser": None, "provisioning": prov,
            "checks": [{"subject": "status", "ok": True}, {"subject": "v", "ok": False}],
            "exchange": {"request": {"headers": [["Origin", "ü"]]}}}


def test_results_json_streams_full_records_in_node_id_order_and_calls_once(tmp_path):
    config = SimpleNamespace(rootpath=tmp_path)
    collector = ResultsCollector(config, str(tmp_path / "out/results.json"))
    sent = [record("b::2", "main#1", calls=[{"request": "PUT"}]), record("a::1", "main#1")]
    reports = [SimpleNamespace(when="call", conformance=json.loads(json.dumps(r)))
               for r in sent]
    for report in reports:
        collector.pytest_runtest_logreport(report)
    assert "exchange" not in reports[0].conformance  # the report keeps a summary only
    assert reports[0].conformance["checks"] == [{"subject": "v", "ok": False}]
    collector.write({"name": "t"}, {"provisioning_calls": collector.provisioning_calls})
    collector.pytest_unconfigure()
    doc = json.loads((tmp_path / "out/results.json").read_text(encoding="utf-8"))
    del sent[0]["provisioning"]["calls"]
    assert doc["items"] == [sent[1], sent[0]]
    assert doc["provisionings"] == {"main#1": [{"request": "PUT"}]}
    assert doc["summary"] == {"total": 2, "browser_visible_deviations": 0,
                              "wire_only_deviations": 0, "passed": 2,
                              "classifications": {"pass": 2}}
    assert doc["provisioning_calls"] == 1
    assert list(doc)[-3:] == ["provisioning_calls", "provisionings", "items"]
    mode = (tmp_path / "out/results.json").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask()  # readable like the other reports, not mkstemp's 0600
