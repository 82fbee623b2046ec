"""Would a browser let the request through? The Fetch standard's CORS checks as pure functions.

Each function takes what crossed the wire (response headers as ``(name, value)`` pairs in wire
order, the status) plus what the page asked for, and returns a :class:`Decision` whose reason
reads like a browser console error. The steps follow the WHATWG Fetch standard:

* CORS check: https://fetch.spec.whatwg.org/#cors-check
* CORS-preflight fetch, step "If a CORS check ... and ok status":
  https://fetch.spec.whatwg.org/#cors-preflight-fetch
* extracting header list values: https://fetch.spec.whatwg.org/#extract-header-list-values
* header ABNF (``#method``, ``#field-name``): https://fetch.spec.whatwg.org/#http-new-header-syntax

``credentials`` is true when the request's credentials mode is "include" (``fetch(...,
{credentials: "include"})`` or ``xhr.withCredentials = true``); "same-origin" and "omit" are false
for a cross-origin request. ``method`` is taken as sent in Access-Control-Request-Method, i.e.
already normalized by the browser (``delete`` becomes ``DELETE``), and compared byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CORS_SAFELISTED_METHODS",
    "Decision",
    "actual_request_check",
    "cors_check",
    "preflight_check",
]

CORS_SAFELISTED_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "POST"})

_ACAO = "Access-Control-Allow-Origin"
_ACAC = "Access-Control-Allow-Credentials"
_ACAM = "Access-Control-Allow-Methods"
_ACAH = "Access-Control-Allow-Headers"
_INCLUDE = "the request's credentials mode is 'include'"
_NON_WILDCARD_HEADERS = frozenset({"authorization"})  # "CORS non-wildcard request-header name"
_HTTP_WHITESPACE = "\t\n\r "  # HTTP whitespace bytes, stripped from header values
_OWS = "\t "  # optional whitespace around list elements (RFC 9110 section 5.6.1)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token = 1*tchar
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Decision:
    """A browser's verdict on one response, with a one-line reason in console-error style."""

    allowed: bool
    reason: str

    @property
    def verdict(self) -> str:
        """``"allowed"`` or ``"blocked"``: the words case files use for a browser verdict."""
        return "allowed" if self.allowed else "blocked"


def _fold(name: str) -> str:
    """Byte-lowercase: only A-Z fold, as Fetch's byte-case-insensitive comparison does."""
    return name.translate(_ASCII_LOWER)


def _values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    """Every value of a header, names matched byte-case-insensitively, values normalized."""
    wanted = _fold(name)
    return [v.strip(_HTTP_WHITESPACE) for k, v in headers if _fold(k) == wanted]


def _get(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """Fetch's "get": all values joined by ", " in wire order, or None when absent."""
    values = _values(headers, name)
    return ", ".join(values) if values else None


def _extract_list(headers: Sequence[tuple[str, str]], name: str) -> list[str] | str | None:
    """Fetch's "extracting header list values" for a ``#token`` header.

    Returns None when the header is absent, the list of items when every header of that name parses
    (empty elements are ignored, as RFC 9110's list rule requires), or a message (str) on failure.
    """
    values = _values(headers, name)
    if not values:
        return None
    items: list[str] = []
    for value in values:
        for element in value.split(","):
            element = element.strip(_OWS)
            if not element:
                continue
            if not _TOKEN.fullmatch(element):
                return f"{name} {value!r} does not parse as a list: {element!r} is not a token"
            items.append(element)
    return items


def _shown(items: list[str] | None) -> str:
    """A parsed list for a reason: ``(PUT, GET)``, ``(empty)`` or ``(header absent)``."""
    if items is None:
        return "(header absent)"
    return f"({', '.join(items)})" if items else "(empty)"


def _mismatch_hint(value: str, origin: str) -> str:
    """A short hint for the usual near misses of an Access-Control-Allow-Origin value."""
    if _fold(value) == _fold(origin):
        return " (differs only in letter case; the comparison is byte for byte)"
    if value.rstrip("/") == origin:
        return " (trailing '/': an origin has no path)"
    return ""


def cors_check(
    *, origin: str, credentials: bool, headers: Sequence[tuple[str, str]]
) -> Decision:
    """Run the Fetch "CORS check" on a response's headers.

    ``origin`` is the serialized request origin exactly as the browser sends it in ``Origin``
    (``"null"`` for an opaque origin). Access-Control-Allow-Origin is read with Fetch's "get", so
    duplicate headers are joined with ", " and can never match; the value must then be ``*``
    (without credentials) or byte-equal ``origin``. With credentials, ``*`` fails and
    Access-Control-Allow-Credentials must be exactly ``true``.
    """
    value = _get(headers, _ACAO)
    if value is None:
        return Decision(False, f"no {_ACAO} header is present")
    if not credentials and value == "*":
        return Decision(True, f"{_ACAO} is '*' and the request's credentials mode is not 'include'")
    if value != origin:
        count = len(_values(headers, _ACAO))
        if count > 1:
            return Decision(False, f"{_ACAO} is sent {count} times ({value!r} when combined), "
                                   "but only one value is allowed")
        if "," in value:
            return Decision(False, f"{_ACAO} contains multiple values {value!r}, "
                                   "but only one is allowed")
        if value == "*":
            return Decision(False, f"{_ACAO} is '*' but {_INCLUDE}")
        if not value:
            return Decision(False, f"{_ACAO} is empty; it must be the origin {origin!r}")
        hint = _mismatch_hint(value, origin)
        return Decision(False, f"{_ACAO} {value!r} is not equal to the origin {origin!r}{hint}")
    if not credentials:
        return Decision(True, f"{_ACAO} matches the origin {origin!r}")
    allow_credentials = _get(headers, _ACAC)
    if allow_credentials == "true":
        return Decision(True, f"{_ACAO} matches the origin {origin!r} and {_ACAC} is 'true'")
    found = "absent" if allow_credentials is None else f"{allow_credentials!r}"
    return Decision(False, f"{_ACAC} is {found} but must be exactly 'true' "
                           f"when {_INCLUDE}")


def _method_check(method: str, methods: list[str] | None, credentials: bool) -> Decision:
    """The preflight's method step: listed, CORS-safelisted, or covered by ``*``."""
    listed = methods or []
    if method in listed:
        return Decision(True, f"method {method} is listed in {_ACAM}")
    if method in CORS_SAFELISTED_METHODS:
        return Decision(True, f"method {method} is CORS-safelisted")
    if not credentials and "*" in listed:
        return Decision(True, f"method {method} is covered by '*' in {_ACAM}")
    note = ""
    if "*" in listed:
        note = f"; '*' is not a wildcard when {_INCLUDE}"
    elif any(_fold(item) == _fold(method) for item in listed):
        note = "; methods compare case-sensitively"
    return Decision(False, f"method {method} is not in {_ACAM} {_shown(methods)}{note}")


def _headers_check(
    header_names: Sequence[str], allowed: list[str] | None, credentials: bool
) -> Decision:
    """The preflight's header steps: Authorization first, then every other requested name."""
    folded = {_fold(item) for item in allowed or []}
    star = "*" in folded
    for name in header_names:
        if _fold(name) in _NON_WILDCARD_HEADERS and _fold(name) not in folded:
            note = "; '*' never covers Authorization" if star else ""
            return Decision(False, f"header {name} is not allowed by {_ACAH} "
                                   f"{_shown(allowed)}{note}")
    unlisted = [name for name in header_names if _fold(name) not in folded]
    if unlisted and (credentials or not star):
        note = f"; '*' is not a wildcard when {_INCLUDE}" if star else ""
        return Decision(False, f"header {unlisted[0]} is not allowed by {_ACAH} "
                               f"{_shown(allowed)}{note}")
    if not header_names:
        return Decision(True, "no request headers need permission")
    if unlisted:
        return Decision(True, f"headers {', '.join(header_names)} are covered by '*' in {_ACAH}")
    return Decision(True, f"headers {', '.join(header_names)} are listed in {_ACAH}")


def preflight_check(
    *,
    origin: str,
    method: str,
    header_names: Sequence[str],
    credentials: bool,
    status: int,
    headers: Sequence[tuple[str, str]],
) -> Decision:
    """Decide whether a preflight answer lets the actual request go ahead.

    Follows the Fetch "CORS-preflight fetch" steps in order: the CORS check (with the actual
    request's credentials mode), an ok status (200-299), parsing Access-Control-Allow-Methods and
    Access-Control-Allow-Headers as token lists (a parse failure blocks), the method step, then
    the header steps. The first failing step gives the reason.

    ``header_names`` are the names the browser lists in Access-Control-Request-Headers, i.e. its
    CORS-unsafe request-header names. Whether Accept, Content-Type, Range and the like are
    safelisted depends on their values, which are not known here, so every given name needs
    permission: a caller that lists ``content-type`` says the page set a non-safelisted value.
    Names match byte-case-insensitively, so Chromium's lower-cased, sorted list matches any casing
    the server echoes. ``*`` covers every name except Authorization, and only without credentials.
    """
    cors = cors_check(origin=origin, credentials=credentials, headers=headers)
    if not cors.allowed:
        return cors
    if not 200 <= status <= 299:
        return Decision(False, f"response status {status} is not an ok status")
    methods = _extract_list(headers, _ACAM)
    allowed_headers = _extract_list(headers, _ACAH)
    if isinstance(methods, str):
        return Decision(False, methods)
    if isinstance(allowed_headers, str):
        return Decision(False, allowed_headers)
    method_ok = _method_check(method, methods, credentials)
    if not method_ok.allowed:
        return method_ok
    headers_ok = _headers_check(header_names, allowed_headers, credentials)
    if not headers_ok.allowed:
        return headers_ok
    return Decision(True, f"preflight passes: {cors.reason}; status {status}; "
                          f"{method_ok.reason}; {headers_ok.reason}")


def actual_request_check(
    *,
    origin: str,
    credentials: bool,
    headers: Sequence[tuple[str, str]],
    status: int | None = None,
) -> Decision:
    """Decide whether the page may read a non-preflight response (simple or post-preflight).

    Only the CORS check applies: the status does not matter, so a 403 or 500 that passes the CORS
    check is readable by the page. ``status`` is accepted so callers can pass any exchange, and is
    only mentioned in the reason.
    """
    cors = cors_check(origin=origin, credentials=credentials, headers=headers)
    if cors.allowed and status is not None and not 200 <= status <= 299:
        return Decision(True, f"{cors.reason}; status {status} does not affect CORS")
    return cors
