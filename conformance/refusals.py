"""A configuration the target partly refuses: find the refused rules, run the other items.

One refused value must not sink every item of a configuration. When PutBucketCors of several
rules is refused, each rule is put alone (one call per rule) to find which the target refuses;
the rest is provisioned, and an item fails with the refusal only when the reference evaluator
says a refused rule decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .cases.model import Check, CorsConfig, CorsRule, Exact, Preflight, render_config
from .dialects.base import CallResult
from .errors import ProvisioningError
from .exchange import Exchange
from .expect import CheckResult, Verdict

REFUSED_VALUE = 400  # a refusal of what was sent; 403, 404 or 5xx say nothing about a value


@dataclass(frozen=True)
class Refusal:
    """One rule of a configuration the target refused when it was put alone."""

    index: int  # 1-based, in the configuration's order
    rule: CorsRule
    status: int
    code: str | None
    exchange: Exchange | None = None

    @property
    def value(self) -> str:
        """The rule as diffs show it."""
        return render_config(CorsConfig(rules=(self.rule,)))[len("rule1["):-1]

    @property
    def answer(self) -> str:
        """The status and code of the refusal."""
        return f"{self.status} {self.code or ''}".rstrip()

    def __str__(self) -> str:
        return f"the target refused rule {self.index} ({self.value}): {self.answer}"

    def verdict(self) -> Verdict:
        """The item's verdict: one failed check, so results.json says what was refused."""
        check = Check("cors", Exact(f"rule {self.index} stored ({self.value})"), "must")
        return Verdict([CheckResult(check, False, f"PutBucketCors refused: {self.answer}")])


def without(config: CorsConfig, refused: tuple[Refusal, ...]) -> CorsConfig:
    """`config` minus the refused rules, in the same order."""
    gone = {r.index for r in refused}
    kept = tuple(r for i, r in enumerate(config.rules, 1) if i not in gone)
    return CorsConfig(rules=kept, response_vary=config.response_vary)


def refusal_for(preflight: Preflight, config: CorsConfig,
                refused: tuple[Refusal, ...]) -> Refusal | None:
    """The refusal that decides `preflight`, or None when it runs on the remaining rules.

    Rules are tried in order and the first that grants decides (OSS-31), so removing rules
    changes a request's expected outcome exactly when the rule that grants it under the whole
    configuration is one of them (the reference evaluator decides which). Configuration calls
    read the whole configuration: every refusal decides them.
    """
    if not refused:
        return None
    if len(refused) == len(config.rules) or preflight.action != "probe":
        return refused[0]
    from .reference.cors import match_actual, match_preflight, requested_headers

    req = preflight.request
    origin, method, names = req.origin, req.request_method, req.request_headers
    for name, value in req.raw_headers or ():
        low = name.lower()
        origin = value if low == "origin" else origin
        method = value if low == "access-control-request-method" else method
        names = value if low == "access-control-request-headers" else names
    if origin is None:
        return None
    if req.method == "OPTIONS":
        if method is None:
            return None
        hit = match_preflight(config, origin, method, requested_headers(names))
    else:
        hit = match_actual(config, origin, req.method)
    if hit is None:
        return None
    index = next(i for i, r in enumerate(config.rules, 1) if r is hit[0])
    return next((r for r in refused if r.index == index), None)


def find_refused(config: CorsConfig, exc: ProvisioningError,
                 put_alone: Callable[[CorsConfig], tuple[CallResult, Exchange | None]],
                 last_call: Exchange | None) -> tuple[Refusal, ...]:
    """The rules of `config` the target refuses, each put alone (at most one call per rule).

    `exc` is the refusal of the whole configuration (its call is `last_call`); a single rule
    is not put again.
    """
    if exc.status != REFUSED_VALUE or not config.rules:
        return ()
    if len(config.rules) == 1:
        return (Refusal(1, config.rules[0], exc.status, exc.code, last_call),)
    refused = []
    for i, rule in enumerate(config.rules, 1):
        result, exchange = put_alone(CorsConfig(rules=(rule,), response_vary=config.response_vary))
        if result.status == REFUSED_VALUE:
            refused.append(Refusal(i, rule, result.status, result.code, exchange))
    return tuple(refused)
