"""The floor of the overhead ratio: a run's own requests replayed on one keep-alive Session.

Which requests: exactly those the embedded endpoint received during an untimed capture run of
the same corpus (bench/_child.py wraps Service.handle there), in arrival order. results.json is
not enough on its own: it leaves out the runner's calls outside items (PutBucket, the fixture
PutObject, DeleteObject, DeleteBucket) and the GetBucketCors polls after a sequence's put steps,
and it lists items by node id rather than in run order. `recorded_exchanges` counts what it has.

Signing: a captured signature is stale by replay time (x-oss-date), so every signed call is
re-signed (OSS V4, fresh date) with the reference's own signing functions, which the tests check
against SDK-captured vectors. The same bytes reach the wire and the endpoint verifies them fully.

requests cannot send a header twice nor a value with leading blanks, so the few raw-mode requests
with repeated lines send them folded into one line (`a, b`) and values are trimmed, which is how
the endpoint reads them anyway (RFC 9110 §5.3, §5.5).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from conformance.reference import ReferenceServer
from conformance.reference.messages import resolve_target, split_query
from conformance.reference.signing import (
    SigningInput,
    v4_canonical_request,
    v4_signature,
    v4_string_to_sign,
)

# Recomputed on the way out (Host, Content-Length by requests; the rest by sign()).
_DROP = {"host", "content-length", "authorization", "x-oss-date", "connection"}


@dataclass(frozen=True)
class Call:
    """One request to replay: request target (path?query), header lines, body, signed or not."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    signed: bool
    status: int | None  # what the endpoint answered in the captured run


@dataclass(frozen=True)
class ReplayResult:
    """Wall time of one replay, what it sent, and how many answers differed from the run's."""

    seconds: float
    requests: int
    signed: int
    status_mismatches: int


def plan(capture_path: Path) -> list[Call]:
    """The captured requests, as Calls, in arrival order."""
    calls = []
    for r in json.loads(capture_path.read_text(encoding="utf-8")):
        signed = r["method"] != "OPTIONS" and any(n.lower() == "authorization"
                                                  for n, _ in r["headers"])
        drop = _DROP if signed else {"host", "content-length", "connection"}
        headers = tuple((n, v) for n, v in r["headers"] if n.lower() not in drop)
        calls.append(Call(r["method"], r["target"], headers, r["body"].encode("latin-1"),
                          signed, r["status"]))
    return calls


def recorded_exchanges(results_path: Path) -> int:
    """Distinct exchanges results.json records: items' own and provisioning calls."""
    data = json.loads(results_path.read_text(encoding="utf-8"))
    items = sum(1 for r in data["items"] if r.get("exchange"))
    return items + sum(len(calls) for calls in data["provisionings"].values())


def replay(calls: list[Call], region: str, access_key_id: str, secret: str) -> ReplayResult:
    """Start a fresh reference endpoint, send every call on one Session, stop it; timed."""
    start = time.perf_counter()
    server = ReferenceServer(credentials={access_key_id: secret}, region=region).start()
    mismatches = 0
    try:
        with requests.Session() as session:
            session.headers.clear()  # send the captured lines only, not requests' defaults
            for call in calls:
                headers = _folded(call.headers)
                if call.signed:
                    headers = sign(call, headers, region, access_key_id, secret)
                resp = session.request(call.method, server.endpoint + call.target,
                                       headers=headers, data=call.body or None, timeout=10)
                mismatches += call.status is not None and resp.status_code != call.status
    finally:
        server.stop()
    return ReplayResult(time.perf_counter() - start, len(calls),
                        sum(c.signed for c in calls), mismatches)


def _folded(lines: tuple[tuple[str, str], ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, raw in lines:
        value = raw.strip()
        key = next((k for k in out if k.lower() == name.lower()), name)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def sign(call: Call, headers: dict[str, str], region: str, access_key_id: str,
         secret: str, now: float | None = None) -> dict[str, str]:
    """`headers` plus a fresh x-oss-date and an OSS V4 Authorization for `call`."""
    stamp = time.gmtime(time.time() if now is None else now)
    day, timestamp = time.strftime("%Y%m%d", stamp), time.strftime("%Y%m%dT%H%M%SZ", stamp)
    headers = {"x-oss-content-sha256": "UNSIGNED-PAYLOAD", **headers, "x-oss-date": timestamp}
    path, _, query = call.target.partition("?")
    bucket, key = resolve_target("127.0.0.1", path)
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    inp = SigningInput(call.method, bucket, key, split_query(query), lowered)
    scope = f"{day}/{region}/oss/aliyun_v4_request"
    to_sign = v4_string_to_sign(timestamp, scope, v4_canonical_request(inp))
    signature = v4_signature(secret, day, region, "oss", to_sign)
    headers["Authorization"] = (f"OSS4-HMAC-SHA256 Credential={access_key_id}/{scope},"
                                f"Signature={signature}")
    return headers
