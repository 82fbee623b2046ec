"""Is a change in effect? GetBucketCors judged by meaning, polled within a bound.

Real servers normalise what they store: RGW returns methods in a fixed order and origins and
headers sorted, SeaweedFS reads an unset MaxAgeSeconds back as 0, S3 clones add rule IDs, and
values may come back with whitespace around them or with header names in another case. None
of that changes which requests a configuration grants, so none of it means "not in effect"
(nor does an ID the case put and the server dropped: its GetBucketCors item judges that);
the exact round trip is for the GetBucketCors items to judge. Rule order does change which
rule matches, so it counts. Method names keep their case: `put` never matches `PUT` (OSS-37).
RGW reads them case-blind and answers upper-case (rgw_cors_s3.cc), but no corpus
configuration provisions a lower-case one, and a sequence step only needs to see a change.

Shown by GetBucketCors is taken to mean followed by preflights too. On a cluster whose
gateways learn a change at different times the two can part; which preflight answer would
prove it cannot be known for a target that deviates, so the suite does not guess.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cases.model import CorsConfig, CorsRule, render_config
from .dialects.base import CallResult
from .errors import ProvisioningError, TargetUnusable

FIRST_DELAY_S = 0.02  # the first poll goes out at once; the next after 20 ms, then doubling
MAX_DELAY_S = 0.5  # fine enough to measure propagation in tenths of a second
STEP_MIN_S = 5.0  # a sequence step waits at least this long for its change to show
UNKNOWN: Any = object()  # what GetBucketCors shows, when nothing tells


def _rule_meaning(rule: CorsRule) -> tuple:
    """What a rule grants: list entries as sets, header names in lower case, unset MaxAge as 0."""
    return (
        frozenset(o.strip() for o in rule.allowed_origins),
        frozenset(m.strip() for m in rule.allowed_methods),
        frozenset(h.strip().lower() for h in rule.allowed_headers),
        frozenset(h.strip().lower() for h in rule.expose_headers),
        rule.max_age_seconds or 0,
    )


_PARTS = ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds")


def difference(seen: CorsConfig | None, wanted: CorsConfig | None) -> str:
    """How `seen` differs from `wanted` in meaning, in a few words; "" when it does not."""
    if wanted is None:
        return "" if seen is None else f"a configuration ({render_config(seen)})"
    if seen is None:
        return "no configuration"
    if len(seen.rules) != len(wanted.rules):
        return f"{len(seen.rules)} rule(s) instead of {len(wanted.rules)}"
    for i, (a, b) in enumerate(zip(seen.rules, wanted.rules, strict=True), 1):
        for part, got, want in zip(_PARTS, _rule_meaning(a), _rule_meaning(b), strict=True):
            if got != want:
                return f"rule {i} {part} {_show(got)} instead of {_show(want)}"
    if bool(seen.response_vary) != bool(wanted.response_vary):
        return f"ResponseVary {bool(seen.response_vary)} instead of {bool(wanted.response_vary)}"
    return ""


def _show(value: object) -> str:
    return ",".join(sorted(value)) or "(none)" if isinstance(value, frozenset) else str(value)


def in_effect(seen: CorsConfig | None, wanted: CorsConfig | None) -> bool:
    """Whether GetBucketCors showing `seen` means `wanted` is in effect (None: no configuration)."""
    return difference(seen, wanted) == ""


def same_rules(a: CorsConfig | None, b: CorsConfig | None) -> bool:
    """Equal in meaning, ResponseVary aside (an OSS extension a clone may ignore)."""
    if a is None or b is None:
        return a is b
    return [_rule_meaning(r) for r in a.rules] == [_rule_meaning(r) for r in b.rules]


def poll(check: Callable[[], bool], timeout_s: float,
         sleep: Callable[[float], None] = time.sleep) -> tuple[bool, int]:
    """Call `check` until it holds or `timeout_s` has passed: (held, calls made).

    The first call goes out at once, the next after FIRST_DELAY_S, doubling up to MAX_DELAY_S:
    a change visible at once costs one call, a slow one a few per second, never a blind sleep.
    """
    deadline = time.monotonic() + timeout_s
    delay, calls = FIRST_DELAY_S, 0
    while True:
        calls += 1
        if check():
            return True, calls
        left = deadline - time.monotonic()
        if left <= 0:
            return False, calls
        sleep(min(delay, left))
        delay = min(delay * 2, MAX_DELAY_S)


@dataclass(frozen=True)
class Propagation:
    """From a change acknowledged to GetBucketCors showing it."""

    ms: float
    polls: int

    def to_dict(self) -> dict:
        """For results.json."""
        return {"ms": round(self.ms, 1), "polls": self.polls}


def readable(result: CallResult) -> bool:
    """GetBucketCors answered with a configuration or with "there is none"."""
    return result.ok or result.code == "NoSuchCORSConfiguration"


def state_of(result: CallResult, seen: CorsConfig | None) -> Any:
    """What a GetBucketCors answer shows: a configuration, None (none), or UNKNOWN."""
    if result.ok:
        return seen
    return None if result.code == "NoSuchCORSConfiguration" else UNKNOWN


def same_state(result: CallResult, seen: CorsConfig | None, before: Any, rules_only: bool
                ) -> bool:
    """Whether a GetBucketCors answer shows what `before` was (UNKNOWN: cannot tell, no)."""
    if before is UNKNOWN:
        return False
    if before is None:
        return result.code == "NoSuchCORSConfiguration"
    if not result.ok:
        return False
    return same_rules(seen, before) if rules_only else in_effect(seen, before)


def raw_config(body: bytes) -> Any:
    """The configuration a raw PutBucketCors body states, read leniently; else UNKNOWN.

    The target accepted it, so no limit of the reference applies (S3 takes 64 KB, OSS 16 KB);
    only what a rule lists is read, for the wait to know what to look for.
    """
    from .cors_tree import parse_tree

    try:
        root = parse_tree(body)[1]
        rules = tuple(_raw_rule(c[1]) for c in root if c[0] == "CORSRule")
        vary = [c[1] for c in root if c[0] == "ResponseVary"]
    except (ValueError, TypeError, IndexError):
        return UNKNOWN
    if not rules:  # a configuration without rules means nothing a wait could look for
        return UNKNOWN
    return CorsConfig(rules=rules, response_vary=vary[0].lower() == "true" if vary else None)


def _raw_rule(children: list) -> CorsRule:
    """A CORSRule's children ([tag, text] pairs); TypeError/ValueError when it is no rule."""
    def texts(tag: str) -> tuple[str, ...]:
        return tuple(text for name, text in children if name == tag and isinstance(text, str))

    ages = texts("MaxAgeSeconds")
    return CorsRule(allowed_origins=texts("AllowedOrigin"), allowed_methods=texts("AllowedMethod"),
                    allowed_headers=texts("AllowedHeader"), expose_headers=texts("ExposeHeader"),
                    max_age_seconds=int(ages[0]) if ages else None,
                    id=(texts("ID") or (None,))[0])  # kept, though no part of the meaning


class Watch:
    """What one bucket's GetBucketCors shows, and the bounded wait for a change to show."""

    def __init__(self, get_cors: Callable[[], tuple[CallResult, CorsConfig | None]],
                 timeout_s: float, target: str = "") -> None:
        self._get_cors = get_cors
        self.timeout_s = timeout_s
        self.target = target
        self.shown: Any = UNKNOWN  # the configuration last shown (None: none)
        self.unusable: TargetUnusable | None = None  # kept: every later change meets it
        self.blind = False  # GetBucketCors is not implemented: nothing to wait on
        self.slowest_s = 0.0  # the longest a change took to show in this run

    def wait(self, wanted: CorsConfig | None, acked: float, operation: str,
             step: bool = False) -> Propagation | None:
        """Poll GetBucketCors until it shows `wanted` (None: no configuration), within a bound.

        `acked`: when the change was acknowledged (time.monotonic). Still showing the rules
        from before when the bound passes means the target does not apply changes; a
        GetBucketCors that never answers readably means none can be seen: either is
        TargetUnusable, one line, kept. None: GetBucketCors is not implemented (501), so
        nothing can be waited on.

        `step`: a sequence step, which puts edge cases a target may store its own way or
        accept and ignore. Seeing any change will do (the steps after it judge what), the
        bound follows this run's slowest change (see step_bound), and running out of it is
        no error: None.
        """
        if self.unusable:
            raise self.unusable
        if self.blind:
            return None
        before, last, answered = self.shown, [None, None], [False]

        def shows_it() -> bool:
            result, seen = self._get_cors()
            last[:] = [result, seen]
            answered[0] = answered[0] or readable(result)
            if result.status == 501 or result.code == "NotImplemented":
                self.blind = True
                return True
            if wanted is None:
                return result.code == "NoSuchCORSConfiguration"
            if result.ok and in_effect(seen, wanted):
                return True
            return step and before is not UNKNOWN and readable(result) and not (
                same_state(result, seen, before, rules_only=False))

        bound = self.step_bound() if step else self.timeout_s
        visible, polls = poll(shows_it, bound)
        result, seen = last
        self.shown = state_of(result, seen)
        if self.blind or (step and not visible):
            return None
        if visible:
            took = Propagation((time.monotonic() - acked) * 1000, polls)
            self.slowest_s = max(self.slowest_s, took.ms / 1000)
            return took
        if not answered[0]:
            self.unusable = TargetUnusable(
                f"after {operation}, GetBucketCors answered {_answer(result)} for "
                f"{self.timeout_s:.0f}s: whether a change took effect cannot be seen; "
                "the run stops here", target=self.target)
            raise self.unusable
        raise self._not_shown(wanted, before, result, seen, operation)

    def step_bound(self) -> float:
        """How long a step waits: 4x this run's slowest change, at least STEP_MIN_S.

        A step the target accepted and ignored never shows; waiting the full bound for each
        would be the minutes of waiting a readiness check must not cost.
        """
        return min(self.timeout_s, max(STEP_MIN_S, 4 * self.slowest_s))

    def _not_shown(self, wanted: CorsConfig | None, before: Any, result: CallResult,
                   seen: CorsConfig | None, operation: str) -> ProvisioningError | TargetUnusable:
        waited = f"{self.timeout_s:.0f}s"
        if before is not UNKNOWN and not same_rules(before, wanted) and same_state(
                result, seen, before, rules_only=True):
            self.unusable = TargetUnusable(
                f"{operation} was acknowledged, yet after {waited} GetBucketCors still shows "
                "the configuration from before: the target does not apply CORS changes; "
                "the run stops here", target=self.target)
            return self.unusable
        shows = difference(seen, wanted) if readable(result) else _answer(result)
        return ProvisioningError(
            f"configuration not in effect after {waited}; GetBucketCors shows {shows}",
            operation="GetBucketCors", status=result.status, code=result.code)


def _answer(result: CallResult) -> str:
    return f"{result.status} {result.code or ''}".rstrip()
