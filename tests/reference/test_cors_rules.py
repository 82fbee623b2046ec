"""Rule matching and response-header computation as pure functions (OSS-21…37, 68…70, 87…91)."""

from __future__ import annotations

import pytest

from conformance.cases.model import CorsConfig, CorsRule
from conformance.reference.cors import (
    actual_request_headers,
    allow_origin,
    grant_headers,
    header_matches,
    match_preflight,
    origin_matches,
    requested_headers,
)


@pytest.mark.parametrize(("pattern", "origin", "expected"), [
    ("http://www.example.com", "http://www.example.com", True),
    ("www.aliyun.com", "www.aliyun.com", True),  # OSS-33: no scheme, no URL parsing
    ("localhost", "localhost", True),
    ("*", "http://anything.test", True),
    ("*", "null", True),  # OSS-87
    ("http://*.example.com", "http://foo.example.com", True),
    ("http://*.example.com", "http://a.b.example.com", True),
    ("http://*.example.com", "http://example.com", False),  # OSS-34: apex not covered
    ("http://*.example.com", "https://foo.example.com", False),
    ("http://*.example.com", "http://foo.example.com.evil.org", False),  # anchored
    ("http://example.com", "http://example.com:8080", False),  # port is part of the string
    ("http://example.com", "HTTP://EXAMPLE.COM", False),  # OSS-35: the reference is exact
    ("http://a.b.com", "http://aXb.com", False),  # dots are literal
])
def test_origin_matching(pattern: str, origin: str, expected: bool) -> None:
    assert origin_matches(pattern, origin) is expected


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("x-oss-meta-author", "x-oss-meta-author", True),
    ("x-oss-meta-author", "X-OSS-Meta-Author", True),  # OSS-36: case-insensitive
    ("x-oss-meta-author", "x-oss-meta-author-1", False),  # whole name
    ("x-oss-*", "x-oss-meta-a", True),
    ("x-oss-*", "content-type", False),
    ("*", "anything", True),
])
def test_header_matching(pattern: str, name: str, expected: bool) -> None:
    assert header_matches(pattern, name) is expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, ()),
    ("", ()),
    (" , ,", ()),
    ("x-a,x-b", ("x-a", "x-b")),
    (" X-A ,, x-b ", ("X-A", "x-b")),  # OSS-91
])
def test_requested_headers(value: str | None, expected: tuple[str, ...]) -> None:
    assert requested_headers(value) == expected


def rule(origins: tuple[str, ...] = ("http://a.test",), methods: tuple[str, ...] = ("GET",),
         headers: tuple[str, ...] = (), expose: tuple[str, ...] = (),
         max_age: int | None = None) -> CorsRule:
    return CorsRule(origins, methods, headers, expose, max_age)


def test_allow_origin_values() -> None:
    assert allow_origin(rule(("*",)), "http://x.test") == "*"  # OSS-22
    assert allow_origin(rule(("http://*.a.test",)), "http://b.a.test") == "http://b.a.test"
    assert allow_origin(rule(("*", "http://x.test")), "http://x.test") == "http://x.test"
    assert allow_origin(rule(("http://y.test",)), "http://x.test") is None


def test_first_matching_rule_wins_and_conditions_stay_in_one_rule() -> None:
    config = CorsConfig((
        rule(("http://a.test",), ("GET",), ("x-a",)),
        rule(("http://a.test",), ("PUT", "POST"), (), max_age=1),
        rule(("*",), ("PUT",), ("x-a",), max_age=2),
    ))
    found = match_preflight(config, "http://a.test", "PUT", ())
    assert found is not None and found[0].max_age_seconds == 1  # OSS-31: rule 1 skipped on method
    found = match_preflight(config, "http://a.test", "PUT", ("x-a",))
    assert found is not None and found[0].max_age_seconds == 2  # OSS-32: no combining
    assert match_preflight(config, "http://a.test", "GET", ("x-b",)) is None


@pytest.mark.parametrize("method", ["put", "PATCH", "OPTIONS", ""])
def test_methods_compare_exactly(method: str) -> None:
    config = CorsConfig((rule(("*",), ("GET", "PUT")),))
    assert match_preflight(config, "http://a.test", method, ()) is None  # OSS-37/89


def test_grant_headers_for_a_preflight() -> None:
    granted = rule(("http://a.test",), ("PUT", "POST"), ("*",), ("etag", "x-oss-request-id"), 0)
    assert grant_headers(granted, "http://a.test", ("x-a", "X-B")) == [
        ("Access-Control-Allow-Origin", "http://a.test"),
        ("Access-Control-Allow-Methods", "PUT, POST"),
        ("Access-Control-Allow-Headers", "x-a, X-B"),
        ("Access-Control-Expose-Headers", "etag, x-oss-request-id"),
        ("Access-Control-Max-Age", "0"),
    ]


def test_grant_headers_omit_what_is_unset() -> None:
    assert grant_headers(rule(), "http://a.test", ()) == [
        ("Access-Control-Allow-Origin", "http://a.test"),
        ("Access-Control-Allow-Methods", "GET"),
    ]


def test_actual_request_headers() -> None:
    config = CorsConfig((rule(("*",), ("GET",), ("x-a",), ("etag",), 5),), response_vary=True)
    assert actual_request_headers(config, "http://a.test", "GET") == [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET"),
        ("Access-Control-Expose-Headers", "etag"),
        ("Access-Control-Max-Age", "5"),
        ("Vary", "Origin"),
    ]
    assert actual_request_headers(config, "http://a.test", "PUT") == [("Vary", "Origin")]
    assert actual_request_headers(config, None, "GET") == [("Vary", "Origin")]
    assert actual_request_headers(None, "http://a.test", "GET") == []
