"""CORS rule matching and the Access-Control-* headers both dialects answer with.

Pure functions over a stored configuration: no I/O, no state. OSS behaviour is OSS-21…37, 68…72,
87…91; the S3 layer (s3_layer.py) calls the same functions with its own options (docs/spec/s3.md).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..cases.model import CorsConfig, CorsRule

ALLOWED_METHODS = ("GET", "PUT", "DELETE", "POST", "HEAD")


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # Each `*` matches any run of characters; everything else is literal and the match is anchored
    # at both ends, so `http://*.example.com` rejects `http://a.example.com.evil.org` (OSS-34).
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def origin_matches(pattern: str, origin: str) -> bool:
    """Literal, case-sensitive, single-wildcard origin matching with no URL parsing (OSS-33/34)."""
    return _wildcard(pattern, False).fullmatch(origin) is not None


def header_matches(pattern: str, name: str) -> bool:
    """Whole-name, case-insensitive header matching; `*` is a wildcard (OSS-36)."""
    return _wildcard(pattern, True).fullmatch(name) is not None


def requested_headers(value: str | None) -> tuple[str, ...]:
    """Access-Control-Request-Headers split on commas, trimmed, empty entries dropped (OSS-91)."""
    if not value:
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())


def allow_origin(rule: CorsRule, origin: str) -> str | None:
    """The Access-Control-Allow-Origin value `rule` grants `origin`, or None when it does not.

    A bare `*` entry answers `*` (OSS-22); any other matching entry echoes the origin (OSS-21/23).
    When both kinds match, the echo wins: it is valid for every request a browser can make.
    """
    matched = [p for p in rule.allowed_origins if origin_matches(p, origin)]
    if not matched:
        return None
    return "*" if all(p == "*" for p in matched) else origin


def _headers_allowed(rule: CorsRule, names: tuple[str, ...]) -> bool:
    return all(any(header_matches(p, n) for p in rule.allowed_headers) for n in names)


def match_preflight(config: CorsConfig, origin: str, method: str,
                    names: tuple[str, ...]) -> tuple[CorsRule, str] | None:
    """The first rule allowing origin, method and every requested header, with its ACAO value.

    Rules are tried in stored order and all three conditions must hold within one rule (OSS-31/32);
    methods compare exactly, so `put` never matches `PUT` (OSS-37/89).
    """
    for rule in config.rules:
        acao = allow_origin(rule, origin)
        if acao is not None and method in rule.allowed_methods and _headers_allowed(rule, names):
            return rule, acao
    return None


def match_actual(config: CorsConfig, origin: str, method: str,
                 names: tuple[str, ...] = ()) -> tuple[CorsRule, str] | None:
    """The first rule allowing an actual request's origin and method (OSS-68).

    OSS passes no `names`: request headers play no part. S3 passes the names of an
    Access-Control-Request-Headers the actual request carries, which must then be allowed too.
    """
    for rule in config.rules:
        acao = allow_origin(rule, origin)
        if (acao is not None and method in rule.allowed_methods
                and _headers_allowed(rule, names)):
            return rule, acao
    return None


S3_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def grant_headers(rule: CorsRule, acao: str, names: tuple[str, ...] | None = None, *,
                  credentials: bool = False, vary: str | None = None) -> list[tuple[str, str]]:
    """The headers of a granted request; `names` are the preflight's requested headers.

    Allow-Methods is the rule's whole list (OSS-24); Allow-Headers echoes the requested names, and
    only on preflights that asked (OSS-25); Expose-Headers and Max-Age appear when the rule sets
    them (OSS-27/28). OSS never sends Allow-Credentials (OSS-29/93) nor a Vary of its own; S3
    sends `Allow-Credentials: true` for an echoed origin and its three-name Vary (§7).
    """
    headers = [("Access-Control-Allow-Origin", acao)]
    if credentials and acao != "*":
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if vary:
        headers.append(("Vary", vary))
    headers.append(("Access-Control-Allow-Methods", ", ".join(rule.allowed_methods)))
    if names:
        headers.append(("Access-Control-Allow-Headers", ", ".join(names)))
    if rule.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule.expose_headers)))
    if rule.max_age_seconds is not None:
        headers.append(("Access-Control-Max-Age", str(rule.max_age_seconds)))
    return headers


def vary_headers(config: CorsConfig | None) -> list[tuple[str, str]]:
    """`Vary: Origin` on every response of a bucket whose ResponseVary is true (OSS-55/72)."""
    return [("Vary", "Origin")] if config is not None and config.response_vary else []


def actual_request_headers(config: CorsConfig | None, origin: str | None,
                           method: str) -> list[tuple[str, str]]:
    """CORS headers for a non-OPTIONS answer of any status (OSS-69/70/71/85).

    Never an error: no Origin, no configuration or no match simply adds nothing but Vary.
    """
    headers = vary_headers(config)
    if config is not None and origin:
        found = match_actual(config, origin, method)
        if found is not None:
            headers = grant_headers(*found) + headers
    return headers
