"""Targets: where the suite sends requests, in which dialect, with which credentials."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Literal
from urllib.parse import quote, urlsplit

from .cases.model import CorsConfig
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
