"""The Fetch CORS checks in conformance.browser, branch by branch, passing and failing."""

from __future__ import annotations

import dataclasses

import pytest

from conformance.browser import (
    CORS_SAFELISTED_METHODS,
    Decision,
    actual_request_check,
    cors_check,
    preflight_check,
)

ORIGIN = "https://app.example"
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"


def case(id_, *args):
    return pytest.param(*args, id=id_)


def assert_decision(decision: Decision, allowed: bool, reason: str) -> None:
    assert decision.allowed is allowed, decision.reason
    assert reason in decision.reason
    assert "\n" not in decision.reason


# --- CORS check ---------------------------------------------------------------------------------

CORS_CASES = [
    # id, credentials, response headers, allowed, reason fragment
    case("exact-origin", False, [(ACAO, ORIGIN)], True, "matches the origin"),
    case("absent", False, [], False, "no Access-Control-Allow-Origin header is present"),
    case("other-header-only", False, [("Vary", "Origin")], False, "no Access-Control-Allow-Origin"),
    case("star-without-credentials", False, [(ACAO, "*")], True, "is '*' and"),
    case("star-with-credentials", True, [(ACAO, "*"), (ACAC, "true")], False,
         "Access-Control-Allow-Origin is '*' but the request's credentials mode is 'include'"),
    case("duplicate-same-value", False, [(ACAO, ORIGIN), (ACAO, ORIGIN)], False, "sent 2 times"),
    case("duplicate-star", False, [(ACAO, "*"), (ACAO, "*")], False, "sent 2 times"),
    case("comma-list", False, [(ACAO, f"{ORIGIN}, https://other.example")], False,
         "contains multiple values"),
    case("different-host-case", False, [(ACAO, "https://APP.example")], False,
         "differs only in letter case"),
    case("different-scheme-case", False, [(ACAO, "HTTPS://app.example")], False,
         "not equal to the origin"),
    case("trailing-slash", False, [(ACAO, ORIGIN + "/")], False, "trailing '/'"),
    case("other-origin", False, [(ACAO, "https://evil.example")], False,
         "'https://evil.example' is not equal to the origin 'https://app.example'"),
    case("explicit-default-port", False, [(ACAO, ORIGIN + ":443")], False, "not equal"),
    case("empty-value", False, [(ACAO, "")], False, "is empty"),
    case("http-whitespace-trimmed", False, [(ACAO, f" \t{ORIGIN} ")], True, "matches"),
    case("inner-space-kept", False, [(ACAO, "https:// app.example")], False, "not equal"),
    case("name-lower-case", False, [(ACAO.lower(), ORIGIN)], True, "matches"),
    case("name-upper-case", False, [(ACAO.upper(), ORIGIN)], True, "matches"),
    case("credentials-true", True, [(ACAO, ORIGIN), (ACAC, "true")], True,
         "and Access-Control-Allow-Credentials is 'true'"),
    case("credentials-absent", True, [(ACAO, ORIGIN)], False,
         "Access-Control-Allow-Credentials is absent but must be exactly 'true'"),
    case("credentials-True", True, [(ACAO, ORIGIN), (ACAC, "True")], False, "is 'True' but"),
    case("credentials-TRUE", True, [(ACAO, ORIGIN), (ACAC, "TRUE")], False, "is 'TRUE' but"),
    case("credentials-duplicated", True, [(ACAO, ORIGIN), (ACAC, "true"), (ACAC, "true")],
         False, "is 'true, true' but"),
    case("credentials-whitespace-trimmed", True, [(ACAO, ORIGIN), (ACAC, " true ")], True,
         "'true'"),
    case("credentials-1", True, [(ACAO, ORIGIN), (ACAC, "1")], False, "is '1' but"),
    case("credentials-name-any-case", True, [(ACAO, ORIGIN), (ACAC.lower(), "true")], True,
         "'true'"),
    case("credentials-not-needed-when-omitted", False, [(ACAO, ORIGIN), (ACAC, "false")], True,
         "matches"),
]


@pytest.mark.parametrize(("credentials", "headers", "allowed", "reason"), CORS_CASES)
def test_cors_check(credentials, headers, allowed, reason):
    decision = cors_check(origin=ORIGIN, credentials=credentials, headers=headers)
    assert_decision(decision, allowed, reason)


@pytest.mark.parametrize(
    ("origin", "acao", "allowed"),
    [
        case("opaque-origin-null-matches", "null", "null", True),
        case("real-origin-vs-null", ORIGIN, "null", False),
        case("opaque-origin-vs-star", "null", "*", True),
        case("origin-with-port", "http://localhost:8080", "http://localhost:8080", True),
        case("origin-port-missing", "http://localhost:8080", "http://localhost", False),
    ],
)
def test_cors_check_origin_forms(origin, acao, allowed):
    decision = cors_check(origin=origin, credentials=False, headers=[(ACAO, acao)])
    assert decision.allowed is allowed, decision.reason


# --- CORS-preflight fetch -------------------------------------------------------------------------


def answer(*extra, origin=ORIGIN, methods="PUT, GET", allow_headers="x-foo"):
    headers = [] if origin is None else [(ACAO, origin)]
    headers += [] if methods is None else [(ACAM, methods)]
    headers += [] if allow_headers is None else [(ACAH, allow_headers)]
    return headers + list(extra)


PREFLIGHT_CASES = [
    # id, method, header names, credentials, status, response headers, allowed, reason fragment
    case("all-good", "PUT", ["x-foo"], False, 200, answer(), True, "preflight passes"),
    case("status-204", "PUT", ["x-foo"], False, 204, answer(), True, "status 204"),
    case("status-299", "PUT", ["x-foo"], False, 299, answer(), True, "preflight passes"),
    case("status-403-perfect-headers", "PUT", ["x-foo"], False, 403, answer(), False,
         "response status 403 is not an ok status"),
    case("status-199", "PUT", ["x-foo"], False, 199, answer(), False, "not an ok status"),
    case("status-300", "PUT", ["x-foo"], False, 300, answer(), False, "not an ok status"),
    case("status-500", "PUT", ["x-foo"], False, 500, answer(), False, "not an ok status"),
    case("cors-failure-before-status", "PUT", [], False, 403, answer(origin=None), False,
         "no Access-Control-Allow-Origin"),
    case("cors-star-with-credentials", "PUT", [], True, 200, answer((ACAC, "true"), origin="*"),
         False, "is '*' but the request's credentials mode is 'include'"),
    case("credentials-full", "DELETE", ["x-foo"], True, 200,
         answer((ACAC, "true"), methods="DELETE", allow_headers="X-Foo"), True, "preflight passes"),
    case("credentials-True", "PUT", [], True, 200, answer((ACAC, "True")), False, "'True'"),
    # methods
    case("method-listed", "PUT", [], False, 200, answer(), True, "method PUT is listed"),
    case("method-missing", "DELETE", [], False, 200, answer(), False,
         "method DELETE is not in Access-Control-Allow-Methods (PUT, GET)"),
    case("method-header-absent", "DELETE", [], False, 200, answer(methods=None), False,
         "method DELETE is not in Access-Control-Allow-Methods (header absent)"),
    case("method-header-empty", "DELETE", [], False, 200, answer(methods=""), False, "(empty)"),
    case("method-case-sensitive", "PUT", [], False, 200, answer(methods="put"), False,
         "methods compare case-sensitively"),
    case("method-lowercase-not-safelisted", "get", [], False, 200, answer(methods=None), False,
         "method get is not in"),
    case("method-star-without-credentials", "PATCH", [], False, 200, answer(methods="*"), True,
         "covered by '*'"),
    case("method-star-with-credentials", "PATCH", [], True, 200,
         answer((ACAC, "true"), methods="*"), False, "'*' is not a wildcard"),
    case("method-star-with-credentials-listed", "PATCH", [], True, 200,
         answer((ACAC, "true"), methods="*, PATCH"), True, "method PATCH is listed"),
    case("method-star-with-credentials-safelisted", "POST", [], True, 200,
         answer((ACAC, "true"), methods="*"), True, "CORS-safelisted"),
    case("method-duplicate-headers-combine", "DELETE", [], False, 200,
         answer((ACAM, "DELETE"), methods="PUT"), True, "method DELETE is listed"),
    case("method-empty-elements-ignored", "DELETE", [], False, 200,
         answer(methods=" ,PUT,, DELETE ,"), True, "listed"),
    case("method-list-unparsable", "PUT", [], False, 200, answer(methods="PUT DELETE"), False,
         "does not parse as a list: 'PUT DELETE' is not a token"),
    case("method-list-bad-byte", "PUT", [], False, 200, answer(methods="PUT;"), False,
         "is not a token"),
    # headers
    case("header-listed", "PUT", ["x-foo"], False, 200, answer(), True, "listed"),
    case("header-missing", "PUT", ["x-foo"], False, 200, answer(allow_headers="x-bar"), False,
         "header x-foo is not allowed by Access-Control-Allow-Headers (x-bar)"),
    case("header-one-of-two-missing", "PUT", ["x-foo", "x-baz"], False, 200, answer(), False,
         "header x-baz is not allowed"),
    case("header-absent", "PUT", ["x-foo"], False, 200, answer(allow_headers=None), False,
         "(header absent)"),
    case("header-absent-none-requested", "PUT", [], False, 200, answer(allow_headers=None), True,
         "no request headers need permission"),
    case("header-case-insensitive", "PUT", ["X-FOO"], False, 200, answer(allow_headers="x-Foo"),
         True, "listed"),
    case("header-chromium-sorted-lowercase", "PUT", ["content-type", "x-amz-date"], False, 200,
         answer(allow_headers="X-Amz-Date, Content-Type"), True, "listed"),
    case("header-content-type-needs-permission", "PUT", ["content-type"], False, 200,
         answer(allow_headers="x-foo"), False, "header content-type is not allowed"),
    case("header-star-without-credentials", "PUT", ["x-foo", "x-bar"], False, 200,
         answer(allow_headers="*"), True, "covered by '*'"),
    case("header-star-with-credentials", "PUT", ["x-foo"], True, 200,
         answer((ACAC, "true"), allow_headers="*"), False, "'*' is not a wildcard"),
    case("authorization-under-star", "PUT", ["authorization"], False, 200,
         answer(allow_headers="*"), False, "'*' never covers Authorization"),
    case("authorization-under-star-with-others", "PUT", ["x-foo", "authorization"], False, 200,
         answer(allow_headers="*"), False, "header authorization is not allowed"),
    case("authorization-listed", "PUT", ["authorization"], False, 200,
         answer(allow_headers="Authorization"), True, "listed"),
    case("authorization-listed-beside-star", "PUT", ["authorization", "x-foo"], False, 200,
         answer(allow_headers="*, authorization"), True, "covered by '*'"),
    case("authorization-under-star-with-credentials", "PUT", ["Authorization"], True, 200,
         answer((ACAC, "true"), allow_headers="*"), False, "header Authorization is not allowed"),
    case("header-duplicate-headers-combine", "PUT", ["x-foo", "x-bar"], False, 200,
         answer((ACAH, "x-bar"), allow_headers="x-foo"), True, "listed"),
    case("header-empty-elements-ignored", "PUT", ["x-foo"], False, 200,
         answer(allow_headers=",x-foo,"), True, "listed"),
    case("header-list-unparsable", "PUT", ["x-foo"], False, 200,
         answer(allow_headers="x-foo x-bar"), False, "does not parse as a list"),
    case("header-list-quoted", "PUT", ["x-foo"], False, 200,
         answer(allow_headers='x-foo, "x-bar"'), False, "is not a token"),
    case("header-list-unparsable-none-requested", "PUT", [], False, 200,
         answer(allow_headers="x-foo/1"), False, "does not parse as a list"),
    case("parse-failure-before-method-check", "DELETE", [], False, 200,
         answer(allow_headers="a b"), False, "Access-Control-Allow-Headers 'a b' does not parse"),
    case("method-check-before-header-check", "DELETE", ["x-bar"], False, 200, answer(), False,
         "method DELETE"),
]


@pytest.mark.parametrize(
    ("method", "names", "credentials", "status", "headers", "allowed", "reason"), PREFLIGHT_CASES
)
def test_preflight_check(method, names, credentials, status, headers, allowed, reason):
    decision = preflight_check(origin=ORIGIN, method=method, header_names=names,
                               credentials=credentials, status=status, headers=headers)
    assert_decision(decision, allowed, reason)


@pytest.mark.parametrize("method", sorted(CORS_SAFELISTED_METHODS))
@pytest.mark.parametrize("credentials", [False, True], ids=["omit", "include"])
def test_safelisted_methods_need_no_allow_methods(method, credentials):
    headers = [(ACAO, ORIGIN), (ACAC, "true")]
    decision = preflight_check(origin=ORIGIN, method=method, header_names=[],
                               credentials=credentials, status=200, headers=headers)
    assert_decision(decision, True, f"method {method} is CORS-safelisted")


def test_safelisted_methods_are_exactly_get_head_post():
    assert CORS_SAFELISTED_METHODS == {"GET", "HEAD", "POST"}


# --- actual request ------------------------------------------------------------------------------

ACTUAL_CASES = [
    # id, credentials, status, response headers, allowed, reason fragment
    case("ok", False, 200, [(ACAO, ORIGIN)], True, "matches the origin"),
    case("status-403-readable", False, 403, [(ACAO, ORIGIN)], True,
         "status 403 does not affect CORS"),
    case("status-500-readable", False, 500, [(ACAO, "*")], True, "status 500"),
    case("status-unknown", False, None, [(ACAO, ORIGIN)], True, "matches the origin"),
    case("status-200-missing-acao", False, 200, [], False, "no Access-Control-Allow-Origin"),
    case("status-404-missing-acao", False, 404, [], False, "no Access-Control-Allow-Origin"),
    case("star-with-credentials", True, 200, [(ACAO, "*"), (ACAC, "true")], False, "is '*' but"),
    case("credentials-missing-acac", True, 200, [(ACAO, ORIGIN)], False, "is absent"),
    case("credentials-ok", True, 200, [(ACAO, ORIGIN), (ACAC, "true")], True, "'true'"),
]


@pytest.mark.parametrize(("credentials", "status", "headers", "allowed", "reason"), ACTUAL_CASES)
def test_actual_request_check(credentials, status, headers, allowed, reason):
    decision = actual_request_check(origin=ORIGIN, credentials=credentials, headers=headers,
                                    status=status)
    assert_decision(decision, allowed, reason)


def test_actual_request_ignores_preflight_headers():
    headers = [(ACAO, ORIGIN), (ACAM, "not a token list")]
    assert actual_request_check(origin=ORIGIN, credentials=False, headers=headers).allowed


# --- Decision ------------------------------------------------------------------------------------


def test_decision_is_frozen():
    decision = Decision(True, "fine")
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.allowed = False  # type: ignore[misc]


@pytest.mark.parametrize(("allowed", "verdict"), [(True, "allowed"), (False, "blocked")])
def test_decision_verdict_words(allowed, verdict):
    assert Decision(allowed, "why").verdict == verdict


def test_headers_may_be_tuples():
    headers = ((ACAO, ORIGIN), (ACAM, "PUT"))
    decision = preflight_check(origin=ORIGIN, method="PUT", header_names=(), credentials=False,
                               status=200, headers=headers)
    assert decision.allowed
