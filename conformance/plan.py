"""The plan of a run, for --dry-run: what would change on the target, and how much traffic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .targets import Target


@dataclass(frozen=True)
class Plan:
    """Counts derived from the collected items; nothing is sent to compute them."""

    configurations: int  # distinct configurations provisioned (Put or DeleteBucketCors each)
    no_configuration: bool  # whether one of them is "no configuration" (DeleteBucketCors)
    sequences: int
    state_steps: int  # sequence steps that put or delete a configuration
    read_steps: int
    requests: int  # preflights and actual requests
    not_applicable: int = 0  # items skipped because they cannot apply to the target's dialect


def make_plan(items: list[Any]) -> Plan:
    """Summarise collected PreflightItems."""
    configs: set[str] = set()
    none_key, sequences = None, set()
    state = reads = requests = skipped = 0
    for item in items:
        case, pf = item.case, item.preflight
        if getattr(item, "skip_reason", None):
            skipped += 1
            continue
        if case.sequence:
            sequences.add(case.path)
        else:
            configs.add(case.config_key)
            if case.cors is None:
                none_key = case.config_key
        if pf.action in ("put_cors", "delete_cors"):
            state += 1
        elif pf.action == "get_cors":
            reads += 1
        else:
            requests += 1
    return Plan(len(configs), none_key is not None, len(sequences), state, reads, requests,
                skipped)


def render_plan(plan: Plan, target: Target) -> list[str]:
    """The plan as lines for the terminal."""
    where = "the embedded reference endpoint" if target.embedded else target.endpoint
    if target.bucket_policy == "existing":
        bucket = (f"existing bucket {target.bucket}: its CORS configuration is read and "
                  "journaled before the first change, and restored at the end")
    else:
        bucket = ("a new bucket osscors-<random> with one fixture object, both deleted at "
                  "the end")
    changes = plan.configurations + plan.sequences + plan.state_steps
    if target.fixed_cors is not None:
        changes, bucket = 0, bucket + " (fixed_cors: no configuration is ever sent)"
    return [
        "dry run: nothing was sent",
        f"target {target.name} at {where}, dialect {target.dialect}",
        f"bucket: {bucket}",
        f"configuration changes: at most {changes} ({plan.configurations} distinct "
        f"configuration(s), {plan.sequences} sequence reset(s), {plan.state_steps} sequence "
        "put/delete step(s))",
        f"requests: {plan.requests} preflight/actual request(s), {plan.read_steps} "
        "GetBucketCors step(s), plus one GetBucketCors confirmation per change",
        f"not applicable to dialect {target.dialect}: {plan.not_applicable} item(s), skipped "
        "with their reasons",
    ]


def render_steps(items: list[Any], target: Target) -> list[str]:
    """Every configuration change and every request, in the order the run would send them.

    Items arrive grouped (plugin's modifyitems keeps a configuration's items together): a
    new group is one configuration change, or the reset that starts a sequence.
    """
    from .cases.model import render_config

    lines, group = ["", "plan (in order):"], None
    for item in items:
        if getattr(item, "skip_reason", None):
            continue
        case, pf = item.case, item.preflight
        if item.group != group:
            group = item.group
            if case.sequence:
                lines.append(f"- sequence {case.path}: DeleteBucketCors, then its steps")
            elif target.fixed_cors is not None:
                lines.append(f"- {case.path}: the target's fixed configuration (nothing sent)")
            else:
                call = "DeleteBucketCors" if case.cors is None else "PutBucketCors"
                lines.append(f"- {call} {render_config(case.cors)}")
        lines.append(f"    {_describe(pf)}    # {pf.name}")
    return lines


def _describe(pf: Any) -> str:
    """One step or request as it would go on the wire, in short."""
    if pf.action == "put_cors":
        body = "raw body" if pf.put.config is None else "configuration"
        return f"PutBucketCors ({body}) on the {pf.bucket} bucket"
    if pf.action in ("get_cors", "delete_cors"):
        call = "GetBucketCors" if pf.action == "get_cors" else "DeleteBucketCors"
        return f"{call} on the {pf.bucket} bucket"
    req = pf.request
    if req.raw_headers is not None:
        sent = ", ".join(f"{n}: {v}" for n, v in req.raw_headers)
    else:
        sent = ", ".join(f"{n}: {v}" for n, v in (
            ("Origin", req.origin), ("Access-Control-Request-Method", req.request_method),
            ("Access-Control-Request-Headers", req.request_headers)) if v is not None)
    where = " (missing bucket)" if req.bucket == "missing" else ""
    return f"{req.method} {req.path}{where}" + (f"  [{sent}]" if sent else "")
