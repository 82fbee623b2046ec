"""One observation: what Chromium did with an item's request, and what the suite predicted.

``observed`` is Chromium's decision: ``allowed`` when ``fetch()`` resolved, ``blocked`` when it
rejected with a TypeError. ``predicted`` is conformance/browser.py applied to the very exchanges
Chromium had (recorded by the proxy), so a difference between the two can only be the suite's
mistake, never the target's: that is what :attr:`Observation.suite_bug` reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import browser
from .origin_proxy import Relayed
from .plan import FetchPlan

__all__ = ["Observation", "SuiteBugError", "build_observation", "predict"]

_CORS_ERROR = "blocked by CORS policy"


class SuiteBugError(Exception):
    """The suite's prediction of a real browser was wrong: a bug of the suite, not the target.

    Deliberately not a ConformanceError, so a known deviation (an xfail) never hides it.
    """


@dataclass(frozen=True)
class Observation:
    """Chromium's outcome for one item, the suite's prediction of it, and the wire record."""

    observed: str | None  # "allowed" | "blocked"; None when not observed
    reason: str  # the console's CORS error, what resolved, or why nothing was observed
    preflight_sent: bool | None = None
    stage: str | None = None  # "preflight" | "actual": what Chromium's decision is about
    cors_error: str | None = None  # DevTools' corsErrorStatus, e.g. MissingAllowOriginHeader
    predicted: browser.Decision | None = None
    relayed: tuple[Relayed, ...] = field(default=(), compare=False)
    problem: str | None = None  # Chromium did not send what the plan said it would
    divergence: str | None = None  # a documented departure of Chromium from Fetch explains it

    @classmethod
    def not_observed(cls, reason: str) -> Observation:
        """An item no browser can reproduce, with the reason."""
        return cls(None, reason)

    @property
    def suite_bug(self) -> str | None:
        """Why the suite was wrong about Chromium (None when it was right or nothing ran)."""
        if self.problem:
            return f"the suite's plan of Chromium's request was wrong: {self.problem}"
        if self.observed is None or self.predicted is None:
            return None
        if self.predicted.verdict == self.observed or self.divergence:
            return None
        return (f"conformance/browser.py says {self.predicted.verdict} "
                f"({self.predicted.reason}) for the exchange Chromium had, but Chromium "
                f"{'allowed it' if self.observed == 'allowed' else 'blocked it'}: {self.reason}")

    def transcript(self) -> str:
        """The requests Chromium sent towards the target, with the answers, as HTTP text."""
        parts = []
        for r in self.relayed:
            note = "" if r.forwarded else "  << answered by the suite's proxy, not the target >>"
            parts.append(r.exchange.transcript() + note)
        return "\n\n".join(parts)

    def to_dict(self) -> dict:
        """The ``browser`` fields of a results.json record."""
        return {
            "observed": self.observed,
            "observed_reason": self.reason,
            "preflight_sent": self.preflight_sent,
            "observed_stage": self.stage,
            "cors_error": self.cors_error,
            "predicted": None if self.predicted is None else self.predicted.verdict,
            "predicted_reason": None if self.predicted is None else self.predicted.reason,
            "suite_bug": self.suite_bug,
            "chromium_divergence": self.divergence,
            "exchanges": [{**r.exchange.to_dict(), "forwarded": r.forwarded}
                          for r in self.relayed],
        }


def predict(plan: FetchPlan, relayed: list[Relayed]) -> browser.Decision:
    """What conformance/browser.py says of the answers Chromium got, request by request."""
    for r in relayed:
        ex = r.exchange
        if ex.error:
            return browser.Decision(False, f"network error: {ex.error}")
        if r.preflight:
            acrh = _header(ex.request_headers, "access-control-request-headers") or ""
            decision = browser.preflight_check(
                origin=plan.origin, credentials=plan.credentials, status=ex.status,
                method=_header(ex.request_headers, "access-control-request-method") or "",
                header_names=[n.strip() for n in acrh.split(",") if n.strip()],
                headers=ex.response_headers)
        else:
            decision = browser.actual_request_check(
                origin=plan.origin, credentials=plan.credentials, headers=ex.response_headers,
                status=ex.status)
        if not decision.allowed:
            return decision
    if not relayed:
        return browser.Decision(False, "Chromium sent nothing to the target")
    return browser.Decision(True, "every answer Chromium got passes: " + "; ".join(
        _what(r) for r in relayed))


def build_observation(plan: FetchPlan, relayed: list[Relayed], result: str,
                      console: list[str], cors_error: str | None) -> Observation:
    """Turn a finished fetch into an Observation; `result` is ``ok <status>`` or ``err <text>``."""
    allowed = result.startswith("ok ")
    preflights = [r for r in relayed if r.preflight]
    blocked_text = next((m for m in console if _CORS_ERROR in m), None)
    if allowed:
        reason = f"fetch resolved with status {result[3:]}"
        if plan.stage == "preflight" and preflights:
            reason = f"preflight passed; {reason} (the actual request answered by the proxy)"
    else:
        reason = blocked_text or cors_error or result.removeprefix("err ")
    predicted = predict(plan, relayed)
    divergence = None
    if predicted.allowed != allowed:
        divergence = _divergence(plan, relayed, allowed)
    return Observation(
        observed="allowed" if allowed else "blocked", reason=reason,
        preflight_sent=bool(preflights), stage=plan.stage, cors_error=cors_error,
        predicted=predicted, relayed=tuple(relayed), problem=_problem(plan, relayed),
        divergence=divergence)


def _divergence(plan: FetchPlan, relayed: list[Relayed], allowed: bool) -> str | None:
    """A documented departure of Chromium from the Fetch standard that explains its decision.

    The suite keeps the standard's verdict (the case states what Fetch requires) and names the
    difference, so it is neither a suite bug nor a deviation of the target. Known one:
    Chromium (like Firefox) still lets ``*`` in Access-Control-Allow-Headers cover
    Authorization; Fetch's "CORS non-wildcard request-header name" says it never does
    (https://chromestatus.com/feature/5742041264816128: enforcement on hold).
    """
    pre = next((r.exchange for r in relayed if r.preflight), None)
    if pre is None or not allowed or plan.credentials:
        return None
    names = [n.strip() for n in (_header(pre.request_headers, "access-control-request-headers")
                                 or "").split(",") if n.strip()]
    listed = {v.strip().lower() for v in (_header(pre.response_headers,
                                                  "access-control-allow-headers") or "")
              .split(",")}
    if "authorization" not in {n.lower() for n in names} or "*" not in listed \
            or "authorization" in listed:
        return None
    chromium = browser.preflight_check(
        origin=plan.origin, credentials=plan.credentials, status=pre.status,
        method=_header(pre.request_headers, "access-control-request-method") or "",
        header_names=[n for n in names if n.lower() != "authorization"],
        headers=pre.response_headers)
    if not chromium.allowed:
        return None
    return ("Chromium lets '*' in Access-Control-Allow-Headers cover Authorization; the Fetch "
            "standard never does (chromestatus 5742041264816128, enforcement on hold): "
            "the suite keeps the standard's verdict")


def _problem(plan: FetchPlan, relayed: list[Relayed]) -> str | None:
    """Where Chromium's requests differ from the plan (the probe's request lines)."""
    preflights = [r for r in relayed if r.preflight]
    if plan.stage == "preflight" and not preflights:
        return "Chromium sent no preflight"
    if plan.stage == "actual" and preflights:
        return "Chromium sent a preflight for a request the suite thought simple"
    for r in relayed:
        got = _header(r.exchange.request_headers, "origin")
        if got != plan.origin:
            return f"Chromium sent Origin {got!r}, not {plan.origin!r}"
    if preflights:
        sent = preflights[0].exchange.request_headers
        method = _header(sent, "access-control-request-method")
        names = _header(sent, "access-control-request-headers")
        wanted = ",".join(n for n, _ in plan.headers) or None
        if method != plan.method or names != wanted:
            return (f"Chromium's preflight asked for {method!r} with headers {names!r}, "
                    f"not {plan.method!r} with {wanted!r}")
    return None


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in headers if k.lower() == name]
    return ", ".join(values) if values else None


def _what(r: Relayed) -> str:
    kind = "preflight" if r.preflight else f"{r.exchange.method}"
    where = "" if r.forwarded else " (proxy)"
    return f"{kind} {r.exchange.status}{where}"
