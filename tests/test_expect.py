import pytest

from conformance.cases.model import Absent, Check, Exact, Present, ProbeRequest, Regex, Tokens
from conformance.exchange import Exchange
from conformance.expect import ABSENT, error_fields, evaluate, matches
from conformance.report.render import diff_html, diff_text

PREFLIGHT = ProbeRequest(origin="http://www.example.com", request_method="PUT",
                         request_headers="x-oss-test1")
ERROR_XML = (b"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>AccessForbidden</Code>"
             b"<Message>CORSResponse: no</Message><RequestId>1</RequestId></Error>")


def exchange(status=200, headers=(), body=b""):
    return Exchange("OPTIONS", "http://t/b/k", "/b/k", [("Host", "t")], status, "OK",
                    list(headers), body)


GRANT = exchange(200, [("Access-Control-Allow-Origin", "http://www.example.com"),
                       ("Access-Control-Allow-Methods", "PUT, GET"),
                       ("Access-Control-Allow-Headers", "x-oss-test1"),
                       ("Access-Control-Max-Age", "60")])


@pytest.mark.parametrize("matcher, good, bad", [
    (Exact("http://a"), "http://a", "*"),
    (Exact("http://a"), "http://a", "http://A"),
    (Tokens(("PUT", "GET")), "get ,PUT", "PUT"),
    (Tokens(("PUT", "GET")), "PUT, GET", "PUT, GET, DELETE"),
    (Tokens(("PUT", "GET"), ordered=True), "PUT,GET", "GET, PUT"),
    (Absent(), ABSENT, "true"),
    (Present(), "0", ABSENT),
    (Regex("[0-9A-F]{24}"), "5051845BC4689A033D000000", "5051845BC4689A033D00000"),
    (Regex("[0-9A-F]{24}"), "5051845BC4689A033D000000", "x5051845BC4689A033D000000"),
])
def test_each_matcher_accepts_the_right_value_and_catches_the_deviation(matcher, good, bad):
    assert matches(matcher, good)
    assert not matches(matcher, bad)


def test_value_matchers_never_match_an_absent_header():
    for matcher in (Exact(""), Tokens(()), Regex(".*")):
        assert not matches(matcher, ABSENT)


def test_every_mismatch_is_reported_together_with_its_level():
    checks = (
        Check("status", Exact(200)),
        Check("header:access-control-allow-origin", Exact("*")),
        Check("header:Access-Control-Max-Age", Exact("30"), level="should"),
        Check("header:Access-Control-Expose-Headers", Present(), level="may"),
        Check("header:Access-Control-Allow-Methods", Tokens(("GET", "PUT"))),
    )
    verdict = evaluate(checks, PREFLIGHT, GRANT)
    assert [r.check.subject for r in verdict.failures] == ["header:access-control-allow-origin"]
    assert [r.actual for r in verdict.warnings] == ["60"]
    assert verdict.errors_by_level["may"][0].actual == ABSENT
    assert verdict.outcome == "fail"
    text = diff_text(verdict)
    assert "FAIL  access-control-allow-origin" in text and "WARN" in text and "note" in text


def test_should_only_mismatches_warn_but_do_not_fail():
    verdict = evaluate((Check("header:Access-Control-Max-Age", Exact("1"), "should"),),
                       PREFLIGHT, GRANT)
    assert verdict.outcome == "warn" and not verdict.failures


def test_error_code_and_message_come_from_the_xml_body():
    assert error_fields(ERROR_XML) == ("AccessForbidden", "CORSResponse: no")
    verdict = evaluate((Check("error_code", Exact("AccessForbidden")),
                        Check("error_message", Exact("CORSResponse: yes"))),
                       PREFLIGHT, exchange(403, body=ERROR_XML))
    assert [r.check.subject for r in verdict.failures] == ["error_message"]


@pytest.mark.parametrize("body", [
    b"",
    b"not xml",
    b"<Other><Code>X</Code></Other>",
    b"<Error><Code>unterminated",
    # entity expansion and external entities are refused by defusedxml, never expanded
    b'<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Error><Code>&b;</Code></Error>',
    b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Error><Code>&x;</Code></Error>',
])
def test_hostile_or_missing_error_bodies_give_no_code(body):
    assert error_fields(body) == (None, None)


def test_browser_visible_when_the_browser_decision_differs_from_the_case():
    star = exchange(200, [("Access-Control-Allow-Origin", "*"),
                          ("Access-Control-Allow-Methods", "PUT")])
    checks = (Check("browser", Exact("allowed")), Check("header:Access-Control-Allow-Origin",
                                                        Exact("http://www.example.com")))
    verdict = evaluate(checks, PREFLIGHT, star)  # '*' but x-oss-test1 is not allowed
    assert verdict.browser_computed.allowed is False
    assert verdict.impact == "browser-visible"
    assert {r.check.subject for r in verdict.failures} == {
        "browser", "header:Access-Control-Allow-Origin"}


def test_wire_only_when_headers_differ_but_the_browser_decides_the_same():
    star = exchange(200, [("Access-Control-Allow-Origin", "*"),
                          ("Access-Control-Allow-Methods", "PUT"),
                          ("Access-Control-Allow-Headers", "x-oss-test1")])
    checks = (Check("browser", Exact("allowed")), Check("header:Access-Control-Allow-Origin",
                                                        Exact("http://www.example.com")))
    verdict = evaluate(checks, PREFLIGHT, star)
    assert verdict.outcome == "fail" and verdict.impact == "wire-only"


def test_transport_errors_fail_every_check():
    ex = exchange()
    ex.error = "ConnectionRefusedError: refused"
    verdict = evaluate((Check("status", Exact(200)),), PREFLIGHT, ex)
    assert verdict.outcome == "fail" and "refused" in verdict.failures[0].actual


def test_html_diff_escapes_what_the_target_sent():
    evil = exchange(200, [("Access-Control-Allow-Origin", "<script>alert(1)</script>")])
    verdict = evaluate((Check("header:Access-Control-Allow-Origin", Exact("x")),), PREFLIGHT,
                       evil)
    page = diff_html(verdict)
    assert "<script>" not in page and "&lt;script&gt;" in page


S3_STYLE_403 = (b"<Error><Code>AccessForbidden</Code><Message>CORSResponse: no</Message>"
                b"<RequestId>R</RequestId><Method>PUT</Method><ResourceType>OBJECT</ResourceType>"
                b"</Error>")


def test_error_element_checks_catch_extra_missing_and_wrong_elements():
    checks = (Check("error:Code", Exact("AccessForbidden")),
              Check("error:Method", Absent()),          # S3 adds it, OSS does not
              Check("error:EC", Regex(r"0003-\d{8}")),  # OSS sends it, S3 does not
              Check("error:RequestId", Present()))
    verdict = evaluate(checks, PREFLIGHT, exchange(403, body=S3_STYLE_403))
    failed = {r.check.subject: r.actual for r in verdict.failures}
    assert failed == {"error:Method": "PUT", "error:EC": ABSENT}


def test_cors_check_catches_a_configuration_that_was_not_stored_as_sent():
    from conformance.cases.model import CorsConfig, CorsRule, render_config

    wanted = CorsConfig((CorsRule(("http://a.test",), ("GET",), ("x-a",)),), False)
    merged = CorsConfig((CorsRule(("http://a.test",), ("GET",), ("x-a",)),
                         CorsRule(("http://old.test",), ("PUT",))), False)  # not replaced
    check = (Check("cors", Exact(render_config(wanted))),)
    assert evaluate(check, ProbeRequest(), exchange(200), cors=wanted, cors_read=True).outcome \
        == "pass"
    bad = evaluate(check, ProbeRequest(), exchange(200), cors=merged, cors_read=True)
    assert bad.outcome == "fail" and "rule2[origins=http://old.test" in bad.failures[0].actual
    vary = evaluate(check, ProbeRequest(), exchange(200),
                    cors=CorsConfig(wanted.rules, None), cors_read=True)  # ResponseVary dropped
    assert vary.outcome == "fail"
