"""The typed case model: what a validated case file means, independent of YAML.

The small classes have slots: a collection of 10,000 files holds ~57k preflights and a few
hundred thousand checks, matchers and requests, and slots halve what each costs in memory.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Literal, Union

Level = Literal["must", "should", "may"]
DIALECTS: tuple[str, ...] = ("oss", "s3")
DEFAULT_PATH = "/conformance-probe"


@dataclass(frozen=True, slots=True)
class CorsRule:
    """One CORSRule, in the order the target stores it."""

    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    id: str | None = None  # S3's <ID>; last, so positional construction keeps working


@dataclass(frozen=True, slots=True)
class CorsConfig:
    """A whole bucket CORS configuration as provisioned by PutBucketCors."""

    rules: tuple[CorsRule, ...]
    response_vary: bool | None = None

    def to_dict(self) -> dict:
        """Plain data, for reports and digests (what dataclasses.asdict gives, 5x faster)."""
        return {"rules": tuple({f: getattr(r, f) for f in _RULE_FIELDS} for r in self.rules),
                "response_vary": self.response_vary}


_RULE_FIELDS = tuple(f.name for f in fields(CorsRule))


def render_config(config: CorsConfig | None, vary: bool = True, ids: bool = True) -> str:
    """A configuration on one line, as diffs show it and as `cors` checks compare it.

    `response_vary` unset in an expected configuration means "not compared" (S3 has none), so
    the actual one is then rendered without it (vary=False). Rule IDs likewise: an expected
    configuration without any compares none (ids=False), so an ID a server adds is no
    difference, while one that states IDs catches an ID dropped or changed.
    """
    if config is None:
        return "(no configuration)"
    rules = []
    for i, r in enumerate(config.rules, 1):
        parts = [f"id={r.id}"] if ids and r.id is not None else []
        parts += [f"origins={','.join(r.allowed_origins)}",
                  f"methods={','.join(r.allowed_methods)}"]
        if r.allowed_headers:
            parts.append(f"headers={','.join(r.allowed_headers)}")
        if r.expose_headers:
            parts.append(f"expose={','.join(r.expose_headers)}")
        if r.max_age_seconds is not None:
            parts.append(f"max_age={r.max_age_seconds}")
        rules.append(f"rule{i}[{' '.join(parts)}]")
    if vary and config.response_vary is not None:
        rules.append(f"response_vary={str(config.response_vary).lower()}")
    return " ".join(rules)


def config_key(config: CorsConfig | None) -> str:
    """A stable digest of a configuration: equal configurations provision once."""
    data = None if config is None else config.to_dict()
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PutCors:
    """A PutBucketCors step: a configuration the SDK serialises, or a raw body."""

    config: CorsConfig | None = None
    raw_body: str | None = None
    pad_to_bytes: int | None = None
    content_md5: str = "auto"  # auto | omit | a literal header value
    content_type: str | None = None  # None: application/xml


@dataclass(frozen=True, slots=True)
class Signing:
    """How the dialect's SDK signs a request with the target's credentials (`sign:`)."""

    where: Literal["header", "query", "form"] = "header"
    version: Literal["v4", "v1", "v2"] = "v4"  # v1: OSS V1 only; v2: S3 SigV2 only
    expires: int = 900  # seconds a query signature or a form policy stays valid
    expired: bool = False  # signed with a clock in the past: already expired when sent
    wrong_secret: bool = False  # signed with another secret: SignatureDoesNotMatch
    acl: str | None = None  # x-amz-acl / x-oss-object-acl, signed
    copy_from: str | None = None  # x-amz-copy-source / x-oss-copy-source: a key of our bucket
    headers: tuple[tuple[str, str], ...] = ()  # further headers, signed


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """What goes on the wire for one preflight (or actual request)."""

    method: str = "OPTIONS"
    path: str = DEFAULT_PATH
    bucket: Literal["provisioned", "missing"] = "provisioned"
    origin: str | None = None
    request_method: str | None = None
    request_headers: str | None = None  # the Access-Control-Request-Headers value as sent
    credentials: bool = False
    raw_headers: tuple[tuple[str, str], ...] | None = None
    body: str | None = None
    content_type: str | None = None
    sign: Signing | None = None  # None: unsigned, as before
    upload: Literal["part", "complete"] | None = None  # the runner starts the upload first

    @property
    def requested_header_names(self) -> tuple[str, ...]:
        """Names listed in Access-Control-Request-Headers, as a browser would parse them."""
        if not self.request_headers:
            return ()
        return tuple(n.strip() for n in self.request_headers.split(",") if n.strip())


@dataclass(frozen=True, slots=True)
class Exact:
    """The whole value, byte for byte (ints for status)."""

    value: str | int


@dataclass(frozen=True, slots=True)
class Tokens:
    """A comma-separated list compared token-wise: trimmed, case-insensitive."""

    values: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Absent:
    """The header must not be sent."""


@dataclass(frozen=True, slots=True)
class Present:
    """The header must be sent, any value."""


@dataclass(frozen=True, slots=True)
class Regex:
    """A regular expression the whole value must match."""

    pattern: str


Matcher = Union[Exact, Tokens, Absent, Present, Regex]  # noqa: UP007 - runtime alias on 3.10


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation: which part of the answer, how it is matched, and how much it matters."""

    # "status", "error_code", "error_message", "browser", "cors", "header:<Name>", "error:<Elem>"
    subject: str
    matcher: Matcher
    level: Level = "must"
    spec: tuple[str, ...] = ()

    @property
    def header(self) -> str | None:
        """The header name for header checks, else None."""
        return self.subject[len("header:"):] if self.subject.startswith("header:") else None

    @property
    def element(self) -> str | None:
        """The XML error element for error-body checks, else None."""
        return self.subject[len("error:"):] if self.subject.startswith("error:") else None


@dataclass(frozen=True, slots=True)
class Preflight:
    """One request (or sequence step) of a case, with the checks for each dialect it runs in."""

    name: str
    line: int
    request: ProbeRequest
    checks: dict[str, tuple[Check, ...]]  # dialect -> checks (variants already merged)
    spec: tuple[str, ...] = ()
    action: Literal["probe", "put_cors", "get_cors", "delete_cors"] = "probe"
    put: PutCors | None = None
    bucket: Literal["provisioned", "missing"] = "provisioned"  # for configuration steps
    inapplicable: tuple[tuple[str, str], ...] = ()  # (dialect, why) pairs of this item alone

    def checks_for(self, dialect: str) -> tuple[Check, ...]:
        """The checks that apply when the target speaks `dialect`."""
        return self.checks[dialect]

    def expected_browser(self, dialect: str) -> str | None:
        """'allowed' / 'blocked' when the case states a browser verdict, else None."""
        return expected_browser(self.checks_for(dialect))


def expected_browser(checks: tuple[Check, ...]) -> str | None:
    """The browser verdict a set of checks states ('allowed' / 'blocked'), else None."""
    for check in checks:
        if check.subject == "browser" and isinstance(check.matcher, Exact):
            return str(check.matcher.value)
    return None


@dataclass(frozen=True)
class Case:
    """A validated case file."""

    path: str  # posix path as given to the loader, used in node ids and messages
    title: str
    spec: tuple[str, ...]
    dialects: tuple[str, ...]  # the dialects the case applies to (see inapplicable)
    cors: CorsConfig | None
    preflights: tuple[Preflight, ...]
    line: int = 1
    sequence: bool = False  # steps run in order on one bucket; no configuration is provisioned
    inapplicable: tuple[tuple[str, str], ...] = ()  # (dialect, why): the case's items skip there
    extras: dict = field(default_factory=dict, compare=False)

    def skip_reason(self, preflight: Preflight, dialect: str) -> str | None:
        """Why `preflight` cannot run in `dialect`, or None when it can."""
        for where in (self.inapplicable, preflight.inapplicable):
            for name, why in where:
                if name == dialect:
                    return why
        return None

    @cached_property
    def config_key(self) -> str:
        """Digest of the configuration this case provisions (computed once: it is hashed)."""
        return config_key(self.cors)


def same_config(seen: CorsConfig | None, wanted: CorsConfig) -> bool:
    """Whether GetBucketCors shows `wanted`, allowing OSS's documented normalisations."""
    if seen is None or len(seen.rules) != len(wanted.rules):
        return False
    if bool(seen.response_vary) != bool(wanted.response_vary):
        return False
    for a, b in zip(seen.rules, wanted.rules, strict=True):
        if (a.allowed_origins, a.allowed_methods, a.max_age_seconds) != (
                b.allowed_origins, b.allowed_methods, b.max_age_seconds):
            return False
        if [h.lower() for h in a.allowed_headers] != [h.lower() for h in b.allowed_headers]:
            return False
    return True
