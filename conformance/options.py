"""Command-line options and their ini twins, turned into frozen Settings."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .errors import ConformanceError
from .fanout import DEFAULT_WIDTH
from .runner import Settings
from .targets import Target

MAX_LATENCY_MS = 60_000  # --latency-ms: a minute per answer is already no endpoint's
MAX_CONCURRENCY = 256  # --concurrency: reads in flight at once, each a thread

# (option, ini name, help, choices)
_OPTIONS: list[tuple[str, str, str, tuple[str, ...] | None]] = [
    ("--target", "conformance_target",
     "named target from targets.yaml, or 'reference' (default: the embedded reference endpoint)",
     None),
    ("--endpoint", "conformance_endpoint",
     "endpoint URL of the target, e.g. http://127.0.0.1:9000 (overrides the target's)", None),
    ("--dialect", "conformance_dialect", "wire dialect of the target", ("oss", "s3")),
    ("--bucket", "conformance_bucket",
     "use this existing bucket (its CORS configuration is restored afterwards)", None),
    ("--signature-version", "conformance_signature_version",
     "OSS signature version for management calls", ("v4", "v1")),
    ("--region", "conformance_region", "region used for signing", None),
    ("--addressing", "conformance_addressing", "bucket addressing style", ("path", "virtual")),
    ("--latency-ms", "conformance_latency_ms",
     "embedded reference endpoint only: delay every answer by this many ms (simulates a remote "
     "endpoint)", None),
    ("--max-rps", "conformance_max_rps",
     "at most this many requests a second to the target (politeness to real endpoints)", None),
    ("--concurrency", "conformance_concurrency",
     "at most this many reads of one configuration in flight at once (its preflights, and its "
     "GET/HEAD when nothing in the group writes), sent once it is in effect when a round trip "
     "takes 2 ms or more (default 8; 1 sends one request at a time)", None),
    ("--expectations", "conformance_expectations",
     "known deviations of the target (default: expectations/<target name>.yaml if present)",
     None),
    ("--conformance-results", "conformance_results",
     "write machine-readable results (results.json) to this path", None),
    ("--browser", "conformance_browser",
     "also replay every browser-checkable item in a real headless browser and compare its "
     "decision with the computed one (needs the 'browser' extra and Debian's chromium)",
     ("chromium",)),
    ("--browser-executable", "conformance_browser_executable",
     "the Chromium binary for --browser (default /usr/bin/chromium)", None),
]


def register(parser: pytest.Parser) -> None:
    """Add every option to the 'conformance' group, each with an ini twin."""
    group = parser.getgroup("conformance", "CORS conformance of object-storage endpoints")
    for flag, ini, help_text, choices in _OPTIONS:
        dest = ini
        group.addoption(flag, dest=dest, default=None, choices=choices, help=help_text)
        parser.addini(ini, help=f"default for {flag}: {help_text}", default=None)
    group.addoption("--dry-run", action="store_true", default=False,
                    help="print the plan (bucket, configuration changes, requests); send nothing")
    group.addoption("--update-expectations", action="store_true", default=False,
                    help="rewrite the expectations file from this run's failures")
    parser.addini("conformance_case_roots", type="paths", default=[],
                  help="folders whose *.yaml files are conformance cases")


def value(config: pytest.Config, ini: str) -> Any:
    """CLI first, then ini, then None."""
    cli = config.getoption(ini, default=None)
    return cli if cli is not None else (config.getini(ini) or None)


def expectations_file(config: pytest.Config, target_name: str) -> Path:
    """--expectations, else expectations/<target>.yaml under the rootdir."""
    from .expectations import default_path

    given = value(config, "conformance_expectations")
    return Path(given) if given else default_path(config.rootpath, target_name)


def browser_session(config: pytest.Config) -> Any:
    """--browser chromium: a lazily started BrowserSession, or None; one-line usage errors."""
    name = value(config, "conformance_browser")
    if name is None or getattr(config.option, "dry_run", False):
        return None
    if name != "chromium":
        raise pytest.UsageError(f"--browser {name!r} is not one of: chromium")
    from .chromium import CHROMIUM, BrowserSession, unavailable

    executable = value(config, "conformance_browser_executable") or CHROMIUM
    why = unavailable(executable)
    if why:
        raise pytest.UsageError(f"--browser chromium: {why}")
    return BrowserSession(executable)


def build_settings(config: pytest.Config) -> Settings:
    """The run's Settings from options; a bad value is a one-line usage error."""
    try:
        target = _target(config)
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    latency_ms = _whole_number(config, "conformance_latency_ms", "--latency-ms", 0)
    if not 0 <= latency_ms <= MAX_LATENCY_MS:
        raise pytest.UsageError(f"--latency-ms {latency_ms} must be between 0 and "
                                f"{MAX_LATENCY_MS}")
    if latency_ms and not target.embedded:
        raise pytest.UsageError("--latency-ms applies only to the embedded reference endpoint")
    rps = _requests_per_second(value(config, "conformance_max_rps"))
    concurrency = _whole_number(config, "conformance_concurrency", "--concurrency", DEFAULT_WIDTH)
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise pytest.UsageError(f"--concurrency {concurrency} must be between 1 and "
                                f"{MAX_CONCURRENCY}")
    parallel = getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")
    if parallel and config.getoption("dry_run", False):
        raise pytest.UsageError("--dry-run makes its plan from one collection: run it without -n")
    if target.bucket_policy == "existing" and parallel:
        raise pytest.UsageError("an existing bucket is changed one configuration at a time: "
                                "run it without -n")
    return Settings(target=target, latency_ms=latency_ms, max_rps=rps, concurrency=concurrency)


def _requests_per_second(given: Any) -> float:
    """--max-rps as a number > 0 (0 when not given: no limit); nan, inf, 0 and below refused."""
    if given is None or given == "":
        return 0.0
    try:
        rps = float(given)
    except (TypeError, ValueError):
        rps = math.nan
    if not (math.isfinite(rps) and rps > 0):
        raise pytest.UsageError(f"--max-rps {given!r} must be a number of requests a second "
                                "above 0, e.g. 5 or 0.5 (leave it out for no limit)")
    return rps


def _whole_number(config: pytest.Config, ini: str, flag: str, default: int) -> int:
    given = value(config, ini)
    try:
        return int(given) if given is not None else default
    except ValueError:
        raise pytest.UsageError(f"{flag} {given!r} is not a whole number") from None


def _target(config: pytest.Config) -> Target:
    from .targets_file import named_target

    name = value(config, "conformance_target")
    target = named_target(name, config.rootpath) if name else Target()
    overrides = {
        "endpoint": value(config, "conformance_endpoint"),
        "dialect": value(config, "conformance_dialect"),
        "signature_version": value(config, "conformance_signature_version"),
        "region": value(config, "conformance_region"),
        "addressing": value(config, "conformance_addressing"),
    }
    if name == "reference" and overrides["endpoint"]:
        raise ConformanceError(
            "--target reference is the embedded endpoint, and --endpoint names another one; "
            "give one of them")
    target = replace(target, **{k: v for k, v in overrides.items() if v is not None})
    if overrides["endpoint"] and not name:
        target = replace(target, name=overrides["endpoint"])
    bucket = value(config, "conformance_bucket")
    if bucket:
        target = replace(target, bucket=bucket, bucket_policy="existing")
    _check_choice(target.dialect, ("oss", "s3"), "dialect")
    _check_choice(target.signature_version, ("v4", "v1"), "signature version")
    _check_choice(target.addressing, ("path", "virtual"), "addressing")
    check_endpoint(target.endpoint)
    check_addressing(target)
    return target


def check_endpoint(endpoint: str | None) -> None:
    """An endpoint is an http(s) URL with a host, checked before anything is sent."""
    if endpoint is None:
        return
    parts = urlsplit(endpoint)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConformanceError(f"endpoint {endpoint!r} has an invalid port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConformanceError(
            f"endpoint {endpoint!r} is not an http(s) URL; give it with its scheme, e.g. "
            f"http://{endpoint.split('://')[-1]}")
    if parts.query or parts.fragment:
        raise ConformanceError(f"endpoint {endpoint!r} must not have a query or fragment; "
                               "buckets and keys are added by the suite")


def check_addressing(target: Target) -> None:
    """Virtual-hosted addressing needs a DNS name to put the bucket in front of.

    `osscors-x.127.0.0.1` or `osscors-x.localhost` reach nothing the target serves, so every
    item would fail as a deviation; one usage error says why instead.
    """
    if target.addressing != "virtual":
        return
    if not target.endpoint:
        raise ConformanceError(
            "virtual-hosted addressing needs a DNS name, and the embedded reference endpoint "
            "listens on 127.0.0.1: use --addressing path (the default)")
    host = urlsplit(target.endpoint).hostname or ""
    if host == "localhost" or host.endswith(".localhost") or _is_ip_literal(host):
        raise ConformanceError(
            f"virtual-hosted addressing needs a DNS name, and the endpoint {target.endpoint} "
            f"has host {host!r}: buckets would be addressed as <bucket>.{host}; use "
            "--addressing path, or a host name whose subdomains reach the target")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_choice(given: str, allowed: tuple[str, ...], what: str) -> None:
    if given not in allowed:
        raise ConformanceError(f"{what} {given!r} is not one of {', '.join(allowed)}")
