"""Check an Exchange against a preflight's expectations: every check, every mismatch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree as SafeET

from . import browser
from .cases.model import (
    Absent,
    Check,
    CorsConfig,
    Exact,
    Matcher,
    Present,
    ProbeRequest,
    Regex,
    Tokens,
    expected_browser,
    render_config,
)
from .exchange import Exchange

ABSENT = "(absent)"
OBSERVED_SUBJECT = "browser (chromium)"  # the check a real browser's outcome adds


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome, with what the target actually sent."""

    check: Check
    ok: bool
    actual: str


@dataclass
class Verdict:
    """All check results of one item plus the browser's view of the answer."""

    results: list[CheckResult]
    browser_expected: str | None = None
    browser_computed: browser.Decision | None = None
    transport_error: str | None = None
    errors_by_level: dict[str, list[CheckResult]] = field(init=False)
    # What a real browser did (conformance.chromium.Observation), with --browser only.
    browser_observed: Any = None

    def __post_init__(self) -> None:
        self._sort_errors()

    def _sort_errors(self) -> None:
        self.errors_by_level = {"must": [], "should": [], "may": []}
        for r in self.results:
            if not r.ok:
                self.errors_by_level[effective_level(r.check)].append(r)

    def add_observation(self, observation: Any) -> None:
        """Add a real browser's outcome: a check at the level of the case's browser check.

        `observation` has ``observed`` ("allowed", "blocked" or None when not observable).
        """
        self.browser_observed = observation
        stated = next((r.check for r in self.results if r.check.subject == "browser"), None)
        if stated is None or observation.observed is None:
            return
        # A documented departure of the browser from Fetch is recorded, never a failure.
        level = "may" if getattr(observation, "divergence", None) else stated.level
        check = Check(OBSERVED_SUBJECT, stated.matcher, level, stated.spec)
        self.results.append(CheckResult(check, observation.observed == self.browser_expected,
                                        observation.observed))
        self._sort_errors()

    @property
    def suite_bug(self) -> str | None:
        """Why the suite mispredicted the real browser (None: it did not, or none ran)."""
        return getattr(self.browser_observed, "suite_bug", None)

    @property
    def failures(self) -> list[CheckResult]:
        """Mismatches at `must` level: these fail the item."""
        return self.errors_by_level["must"]

    @property
    def warnings(self) -> list[CheckResult]:
        """Mismatches at `should` level: reported, not failing."""
        return self.errors_by_level["should"]

    @property
    def outcome(self) -> str:
        """Pass, fail or warn (should-level mismatches only)."""
        if self.failures or self.transport_error:
            return "fail"
        return "warn" if self.warnings else "pass"

    @property
    def impact(self) -> str:
        """browser-visible when a web app would feel the deviation, else wire-only."""
        if self.transport_error:
            return "browser-visible"
        observed = getattr(self.browser_observed, "observed", None)
        if self.browser_expected and observed is not None:  # what a real browser did wins
            return "browser-visible" if observed != self.browser_expected else "wire-only"
        computed = self.browser_computed
        if self.browser_expected and computed is not None:
            if ("allowed" if computed.allowed else "blocked") != self.browser_expected:
                return "browser-visible"
        return "wire-only"


BROWSER_SUBJECTS = ("browser", OBSERVED_SUBJECT)


def effective_level(check: Check) -> str:
    """The level a mismatch counts at: the browser's decision is never only a warning.

    A failed browser check means the browser decides otherwise than the case expects: the
    web app breaks, so `should` counts as `must`. `may` stays: there the evidence does not
    say what the browser should decide. Levels soften wire-only differences alone.
    """
    if check.subject in BROWSER_SUBJECTS and check.level == "should":
        return "must"
    return check.level


def evaluate(checks: tuple[Check, ...], request: ProbeRequest, ex: Exchange,
             cors: CorsConfig | None = None, cors_read: bool = False) -> Verdict:
    """Run every check against the exchange; never stop at the first mismatch.

    With `cors_read`, `cors` is the configuration a GetBucketCors step read back (None: none).
    """
    computed = compute_browser(request, ex)
    if ex.error:
        results = [CheckResult(c, False, f"no answer ({ex.error})") for c in checks]
        return Verdict(results, expected_browser(checks), computed, ex.error)
    parsed: list[dict[str, str]] = []  # the error body, parsed once if a check reads it

    def element(name: str) -> str | None:
        if not parsed:
            parsed.append(error_elements(ex.body))
        return parsed[0].get(name)

    results = []
    for check in checks:
        if check.subject == "browser":
            actual = "not computable" if computed is None else (
                "allowed" if computed.allowed else "blocked")
        elif check.subject == "status":
            actual = str(ex.status)
        elif check.subject in ("error_code", "error_message"):
            actual = element("Code" if check.subject == "error_code" else "Message") or ""
        elif check.subject == "cors":
            wanted = str(getattr(check.matcher, "value", ""))
            actual = render_config(cors, vary="response_vary=" in wanted,
                                   ids="[id=" in wanted) if cors_read else "(not read)"
        elif check.element is not None:
            value = element(check.element)
            actual = ABSENT if value is None else value
        else:
            header = ex.header(check.header or "")
            actual = ABSENT if header is None else header
        results.append(CheckResult(check, matches(check.matcher, actual), actual))
    return Verdict(results, expected_browser(checks), computed)


def matches(matcher: Matcher, actual: str) -> bool:
    """Whether `actual` (a header value, ABSENT, or a scalar rendered as text) satisfies it."""
    if isinstance(matcher, Absent):
        return actual == ABSENT
    if isinstance(matcher, Present):
        return actual != ABSENT
    if actual == ABSENT:
        return False
    if isinstance(matcher, Exact):
        return actual == str(matcher.value)
    if isinstance(matcher, Regex):
        return re.fullmatch(matcher.pattern, actual) is not None
    got = split_tokens(actual)
    want = [t.lower() for t in matcher.values]
    return got == want if matcher.ordered else sorted(set(got)) == sorted(set(want))


def split_tokens(value: str) -> list[str]:
    """A comma-separated header value as trimmed, lower-cased, non-empty tokens."""
    return [t.strip().lower() for t in value.split(",") if t.strip()]


def describe(matcher: Matcher) -> str:
    """A matcher as the diff shows it."""
    if isinstance(matcher, Absent):
        return ABSENT
    if isinstance(matcher, Present):
        return "(present)"
    if isinstance(matcher, Regex):
        return f"~/{matcher.pattern}/"
    if isinstance(matcher, Tokens):
        kind = "tokens in order" if matcher.ordered else "tokens"
        return f"{kind} {{{', '.join(matcher.values)}}}"
    return str(matcher.value) if str(matcher.value) else "(none)"


def error_fields(body: bytes) -> tuple[str | None, str | None]:
    """<Code> and <Message> of an XML error body, parsed as untrusted input."""
    elements = error_elements(body)
    return elements.get("Code"), elements.get("Message")


def error_elements(body: bytes) -> dict[str, str]:
    """The child elements of an <Error> body by local name (first of each), or {}.

    The body is untrusted: defusedxml refuses entity tricks, and any parse failure means
    "no error body" rather than an exception.
    """
    if not body.strip().startswith(b"<"):
        return {}
    try:
        root = SafeET.fromstring(body)
    except Exception:  # noqa: BLE001 - any parse failure (incl. defusedxml refusals) = no body
        return {}
    if root.tag.rsplit("}", 1)[-1] != "Error":
        return {}
    out: dict[str, str] = {}
    for child in root:
        out.setdefault(child.tag.rsplit("}", 1)[-1], child.text or "")
    return out


def compute_browser(request: ProbeRequest, ex: Exchange) -> browser.Decision | None:
    """What the Fetch standard's CORS check says of this answer, when a browser could send it.

    None without an Origin (management calls, malformed requests): no browser sends those.
    """
    origin, acrm, acrh = _browser_view(request)
    if origin is None:
        return None
    if ex.error:
        return browser.Decision(False, f"network error: {ex.error}")
    if request.method == "OPTIONS":
        if acrm is None:
            return None
        names = [n.strip() for n in (acrh or "").split(",") if n.strip()]
        return browser.preflight_check(
            origin=origin, method=acrm, header_names=names, credentials=request.credentials,
            status=ex.status, headers=ex.response_headers,
        )
    return browser.actual_request_check(
        origin=origin, credentials=request.credentials, headers=ex.response_headers
    )


def _browser_view(req: ProbeRequest) -> tuple[str | None, str | None, str | None]:
    if req.raw_headers is None:
        return req.origin, req.request_method, req.request_headers
    first: dict[str, str] = {}
    for name, value in req.raw_headers:
        first.setdefault(name.lower(), value)
    return (first.get("origin"), first.get("access-control-request-method"),
            first.get("access-control-request-headers"))

