"""Targets: where the suite sends requests, in which dialect, with which credentials."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Literal
from urllib.parse import quote, urlsplit

from .cases.model import Case, CorsConfig, CorsRule, Exact
from .errors import TargetError

DEFAULT_REGION = {"oss": "cn-hangzhou", "s3": "us-east-1"}
DEFAULT_KEY_ENV = {"oss": "OSS_ACCESS_KEY_ID", "s3": "AWS_ACCESS_KEY_ID"}
DEFAULT_SECRET_ENV = {"oss": "OSS_ACCESS_KEY_SECRET", "s3": "AWS_SECRET_ACCESS_KEY"}
# Public, documented credentials accepted by `oss-conformance serve` when none are set:
# a loopback development endpoint, not a secret.
DEV_KEY_ID, DEV_SECRET = "oss-conformance-dev", "oss-conformance-dev-secret"


@dataclass(frozen=True)
class Credentials:
    """An access key pair. The secret never appears in repr, str or reports."""

    access_key_id: str
    secret: str = field(repr=False)

    def __str__(self) -> str:
        return f"Credentials({self.access_key_id}, secret=<redacted>)"


@dataclass(frozen=True)
class Target:
    """One endpoint under test. `endpoint=None` means the embedded reference endpoint."""

    name: str = "reference"
    endpoint: str | None = None
    dialect: Literal["oss", "s3"] = "oss"
    addressing: Literal["path", "virtual"] = "path"
    region: str | None = None  # None: the dialect's default (DEFAULT_REGION)
    signature_version: Literal["v4", "v1"] = "v4"
    access_key_env: str | None = None
    secret_env: str | None = None
    bucket_policy: Literal["ephemeral", "existing"] = "ephemeral"
    bucket: str | None = None
    fixed_cors: CorsConfig | None = None  # what a target that cannot take PutBucketCors serves
    # The grant a server answers with when a bucket has no configuration or does not exist
    # (SeaweedFS's -s3.allowedOrigins): see server_cors_reason.
    server_cors: CorsRule | None = None

    @property
    def embedded(self) -> bool:
        """True when the suite starts its own reference endpoint."""
        return self.endpoint is None

    @property
    def region_name(self) -> str:
        """The region used for signing: the configured one or the dialect's default."""
        return self.region or DEFAULT_REGION[self.dialect]

    def with_endpoint(self, endpoint: str) -> Target:
        """The same target bound to a concrete endpoint (the embedded one once started)."""
        return replace(self, endpoint=endpoint.rstrip("/"))

    def object_url(self, bucket: str, path: str) -> str:
        """URL of `path` (already percent-encoded, starting with /) in `bucket`."""
        if not self.endpoint:
            raise TargetError("no endpoint yet", target=self.name)
        parts = urlsplit(self.endpoint)
        if self.addressing == "virtual":
            return f"{parts.scheme}://{quote(bucket)}.{parts.netloc}{path}"
        return f"{self.endpoint}/{quote(bucket)}{path}"

    def facts(self) -> dict:
        """What results.json records about the target: no credentials, only variable names."""
        data = asdict(self)
        data["fixed_cors"] = None if self.fixed_cors is None else self.fixed_cors.to_dict()
        data["region"] = self.region_name
        data["access_key_env"] = self.key_env
        data["secret_env"] = self.secret_name
        return data

    @property
    def key_env(self) -> str:
        """Name of the variable holding the access key id."""
        return self.access_key_env or DEFAULT_KEY_ENV[self.dialect]

    @property
    def secret_name(self) -> str:
        """Name of the variable holding the secret."""
        return self.secret_env or DEFAULT_SECRET_ENV[self.dialect]


def server_cors_reason(target: Target, case_cors: CorsConfig | None,
                       request_bucket: str) -> str | None:
    """Why a probe cannot be judged on a target with a server-wide CORS grant, else None.

    `case_cors` is the configuration in effect when the request is sent (None: none; for a
    sequence step see `sequence_cors`); `request_bucket` is the request's bucket
    ("provisioned" or "missing"). Such a target answers from its own grant where the case
    expects the answer for "no configuration" or "no bucket", so those items are skipped
    with this reason rather than reported as deviations of a setting the user declared.
    """
    if target.server_cors is None:
        return None
    where = None
    if request_bucket == "missing":
        where = "a missing bucket"
    elif case_cors is None or not case_cors.rules:
        where = "a bucket without a CORS configuration"
    if where is None:
        return None
    return (f"the target answers CORS requests on {where} with its server-wide grant "
            f"(server_cors in targets.yaml); this item expects the answer without one")


def sequence_cors(case: Case, index: int, dialect: str) -> CorsConfig | None:
    """The configuration in effect before step `index` of a sequence, as the case expects it.

    A PutBucketCors step the case expects to succeed (status 200) installs its configuration;
    a DeleteBucketCors step removes it; a put the case expects refused changes nothing.
    """
    current = case.cors
    for step in case.preflights[:index]:
        if step.action == "delete_cors" and step.bucket == "provisioned":
            current = None
        elif step.action == "put_cors" and step.bucket == "provisioned" and step.put:
            status = next((c.matcher.value for c in step.checks_for(dialect)
                           if c.subject == "status" and isinstance(c.matcher, Exact)), None)
            if status == 200 and step.put.config is not None:  # a raw body: assume kept
                current = step.put.config
    return current


def step_server_cors_reason(target: Target, case: Case, index: int,
                            dialect: str) -> str | None:
    """`server_cors_reason` for step `index` of `case`: probes only, in the state it runs in."""
    step = case.preflights[index]
    if target.server_cors is None or step.action != "probe":
        return None
    sent = {name.lower() for name, _ in step.request.raw_headers or ()}
    if step.request.origin is None and "origin" not in sent:
        return None  # no Origin, no CORS request: a server-wide grant does not answer it
    cors = sequence_cors(case, index, dialect) if case.sequence else case.cors
    return server_cors_reason(target, cors, step.request.bucket)


def resolve_credentials(target: Target, environ: dict[str, str] | None = None) -> Credentials:
    """Read the target's credentials from the environment, never from case files."""
    env = os.environ if environ is None else environ
    key, secret = env.get(target.key_env), env.get(target.secret_name)
    if key and secret:
        return Credentials(key, secret)
    if target.embedded:  # our own endpoint: a fresh random pair nobody else knows
        if target.dialect == "s3":  # the shape of an AWS access key id
            return Credentials("AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
        return Credentials("LTAI" + secrets.token_hex(8), secrets.token_urlsafe(24))
    named = target.access_key_env is not None or target.secret_env is not None
    if target.endpoint and is_loopback(target.endpoint) and not (key or secret or named):
        # The documented development pair of `serve`, only when nobody named variables:
        # a target that names them means its own credentials, and gets the error below.
        return Credentials(DEV_KEY_ID, DEV_SECRET)
    missing = target.key_env if not key else target.secret_name
    raise TargetError(
        f"environment variable {missing} is not set; export it with the target's credentials",
        target=target.name,
    )


def is_loopback(url: str) -> bool:
    """Whether the URL's host is this machine."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ephemeral_bucket_name(prefix: str = "osscors") -> str:
    """A recognisable, unique, valid bucket name (3-63 chars, lower-case)."""
    return f"{prefix}-{secrets.token_hex(6)}"
