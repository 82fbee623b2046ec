"""Which request a web app would make for an item, or why a browser cannot make it.

An item is browser-checkable when Chromium, running ``fetch(url, {method, headers, credentials,
mode: "cors"})`` from a page at the case's origin, would put on the wire exactly the
CORS-relevant request lines the probe sent: the same ``Origin``, and for a preflight the same
``Access-Control-Request-Method`` and ``Access-Control-Request-Headers`` bytes. Otherwise the
observation would judge another request than the item did, so it is skipped with the reason.

A preflight item whose method and headers are CORS-safelisted (GET or HEAD, no unsafe header)
is never preflighted by a browser: the page's GET goes out directly and is judged on its own
answer (stage ``actual``), which is what a web app would feel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ..browser import CORS_SAFELISTED_METHODS
from ..cases.model import ProbeRequest

__all__ = ["FetchPlan", "plan_fetch", "serialize_origin"]

_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
_FORBIDDEN_HEADERS = frozenset({
    "accept-charset", "accept-encoding", "access-control-request-headers",
    "access-control-request-method", "connection", "content-length", "cookie", "cookie2",
    "date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te",
    "trailer", "transfer-encoding", "upgrade", "via"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Values that make the few conditionally safelisted headers unsafe, so Chromium lists them in
# Access-Control-Request-Headers as the case does (over 128 bytes is never safelisted).
_UNSAFE_VALUE = {"content-type": "application/x-conformance-dummy"}
_LONG = "x" * 129
_CONDITIONAL = frozenset({"accept", "accept-language", "content-language", "range"})
_DEFAULT_PORT = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FetchPlan:
    """The fetch a page at `origin` runs, and what Chromium's decision will be about."""

    origin: str
    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    credentials: bool
    stage: Literal["preflight", "actual"]  # what Chromium's allow/block decides on

    def init(self) -> dict:
        """The ``fetch()`` init dictionary."""
        return {"method": self.method, "headers": [list(h) for h in self.headers],
                "credentials": "include" if self.credentials else "omit", "mode": "cors",
                "redirect": "manual"}


def serialize_origin(origin: str) -> str | None:
    """How a browser serializes the origin of a page at `origin`, or None if it is none.

    ``null`` stays ``null``; ``http://WWW.Example.com:80`` becomes ``http://www.example.com``;
    anything with a path, user info, a query, or without an http(s) scheme is not an origin.
    """
    if origin == "null":
        return origin
    parts = urlsplit(origin)
    if parts.scheme.lower() not in _DEFAULT_PORT or not parts.hostname or parts.username:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    shown = f"[{host}]" if ":" in host else host
    suffix = "" if port in (None, _DEFAULT_PORT[scheme]) else f":{port}"
    return f"{scheme}://{shown}{suffix}"


def plan_fetch(req: ProbeRequest, url: str, https_pages: bool = True) -> FetchPlan | str:
    """The fetch that reproduces `req` from a page, or the reason no browser can send it."""
    if req.raw_headers is not None:
        return "raw request headers: a browser builds its own request lines"
    if req.sign is not None:  # the replay would go to the unsigned URL without the signature
        return "a signed request: its signature is made per send by the dialect's SDK"
    if req.origin is None:
        return "no Origin header: not a cross-origin request from a page"
    page = serialize_origin(req.origin)
    if page is None:
        return f"{req.origin!r} is not an origin a page can have"
    if page != req.origin:
        return f"a page at {req.origin!r} sends Origin: {page}, not the case's value"
    if page.startswith("https:") and not https_pages:
        return "an https origin needs a TLS page, and the 'cryptography' package is missing"
    target = urlsplit(url)
    if page == serialize_origin(f"{target.scheme}://{target.netloc}"):
        return "the origin is the target's own: a same-origin request has no CORS check"
    if req.method != "OPTIONS":
        return _actual(req, url, page)
    return _preflight(req, url, page)


def _actual(req: ProbeRequest, url: str, origin: str) -> FetchPlan | str:
    if req.method not in ("GET", "HEAD") or req.body is not None:
        return (f"actual {req.method} request: only GET and HEAD are sent from the browser "
                "(an unsigned write must not reach the bucket again)")
    return FetchPlan(origin, url, req.method, (), req.credentials, "actual")


def _preflight(req: ProbeRequest, url: str, origin: str) -> FetchPlan | str:
    method = req.request_method
    if method is None:
        return "OPTIONS without Access-Control-Request-Method: not a preflight a browser sends"
    sent = method.upper() if method.upper() in _NORMALIZED_METHODS else method
    if not _TOKEN.fullmatch(method) or sent in _FORBIDDEN_METHODS:
        return f"fetch() refuses the method {method!r}"
    if sent != method:
        return f"fetch() normalizes the method {method!r} to {sent!r}"
    names = req.requested_header_names
    if any(not _TOKEN.fullmatch(n) for n in names):
        return "a requested header name is not a token: fetch() refuses it"
    lowered = sorted({n.lower() for n in names})
    forbidden = [n for n in lowered if n in _FORBIDDEN_HEADERS or n.startswith(("proxy-", "sec-"))]
    if forbidden:
        return f"fetch() may not set the forbidden header {forbidden[0]!r}"
    chromium_acrh = ",".join(lowered) if lowered else None
    if req.request_headers != chromium_acrh:
        shown = "no such header" if chromium_acrh is None else repr(chromium_acrh)
        return (f"Chromium sends Access-Control-Request-Headers {shown}, "
                f"not the case's {req.request_headers!r}")
    headers = tuple((n, _UNSAFE_VALUE.get(n, _LONG if n in _CONDITIONAL else "conformance"))
                    for n in lowered)
    if method in CORS_SAFELISTED_METHODS and not headers:
        if method == "POST":
            return ("a POST without unsafe headers is sent without a preflight, and the suite "
                    "does not send an unsigned POST to the bucket")
        return FetchPlan(origin, url, method, (), req.credentials, "actual")
    return FetchPlan(origin, url, method, headers, req.credentials, "preflight")
