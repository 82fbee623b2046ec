"""Which request a page can make for an item, or why none can (no browser needed)."""

from __future__ import annotations

import pytest

from conformance.cases.model import ProbeRequest
from conformance.chromium import plan_fetch
from conformance.chromium.plan import serialize_origin

ORG = "http://a.test"


@pytest.mark.parametrize(("given", "sent"), [
    ("http://www.example.com", "http://www.example.com"),
    ("https://secure.example.com:8443", "https://secure.example.com:8443"),
    ("http://WWW.EXAMPLE.COM", "http://www.example.com"),
    ("http://www.example.com:80", "http://www.example.com"),
    ("http://www.example.com.", "http://www.example.com."),
    ("null", "null"), ("http://www.example.com/", "http://www.example.com"),
    ("www.aliyun.com", None), ("localhost", None), ("http://a.test/path", None),
])
def test_origins_serialize_as_a_browser_sends_them(given, sent):
    assert serialize_origin(given) == sent


@pytest.mark.parametrize(("req", "reason"), [
    (ProbeRequest(raw_headers=(("Origin", ORG),)), "raw request headers"),
    (ProbeRequest(origin="http://WWW.A.TEST", request_method="PUT"), "sends Origin: http://www.a.test"),
    (ProbeRequest(origin="localhost", request_method="PUT"), "not an origin a page can have"),
    (ProbeRequest(origin=ORG, request_method="put"), "normalizes the method 'put' to 'PUT'"),
    (ProbeRequest(origin=ORG, request_method="TRACE"), "refuses the method"),
    (ProbeRequest(origin=ORG, request_method="PUT", request_headers="X-A"),
     "Access-Control-Request-Headers 'x-a', not the case's 'X-A'"),
    (ProbeRequest(origin=ORG, request_method="PUT", request_headers="x-a,"), "not the case's"),
    (ProbeRequest(origin=ORG, request_method="PUT", request_headers="cookie"), "forbidden header"),
    (ProbeRequest(origin=ORG, request_method="POST"), "does not send an unsigned POST"),
    (ProbeRequest(method="PUT", origin=ORG), "only GET and HEAD"),
])
def test_requests_no_browser_can_make_are_skipped_with_a_reason(req, reason):
    plan = plan_fetch(req, "http://127.0.0.1:9/b/k")
    assert isinstance(plan, str) and reason in plan


def test_a_preflight_plan_lists_headers_as_chromium_will_send_them():
    req = ProbeRequest(origin=ORG, request_method="PUT", request_headers="content-type,x-a")
    plan = plan_fetch(req, "http://127.0.0.1:9/b/k")
    assert not isinstance(plan, str) and plan.stage == "preflight"
    assert [n for n, _ in plan.headers] == ["content-type", "x-a"]
    assert dict(plan.headers)["content-type"] not in (  # a value that is not safelisted
        "text/plain", "multipart/form-data", "application/x-www-form-urlencoded")
    simple = plan_fetch(ProbeRequest(origin=ORG, request_method="GET"), "http://127.0.0.1:9/k")
    assert not isinstance(simple, str) and simple.stage == "actual"  # no preflight in a browser
