"""Helpers for the reference endpoint tests: SDK rule builders and raw signed requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate
from urllib.parse import urlsplit

import alibabacloud_oss_v2 as oss
import requests

from conformance.reference.messages import Request, resolve_target, split_query
from conformance.reference.signing import (
    V4_ALGORITHM,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
    v4_string_to_sign,
)

AK, SK = "AKIDREFERENCE", "reference-secret"
OTHER_AK, OTHER_SK = "AKIDOTHER", "other-secret"
REGION = "cn-hangzhou"
ClientFactory = Callable[..., oss.Client]
CORS_DENIED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are "
    "not whitelisted by the resource's CORS spec."
)


def cors_rule(origins: list[str], methods: list[str], headers: list[str] | None = None,
              expose: list[str] | None = None, max_age: int | None = None) -> oss.CORSRule:
    return oss.CORSRule(allowed_origins=origins, allowed_methods=methods, allowed_headers=headers,
                        expose_headers=expose, max_age_seconds=max_age)


def put_cors(client: oss.Client, bucket: str, *rules: oss.CORSRule,
             vary: bool | None = None) -> None:
    config = oss.CORSConfiguration(cors_rules=list(rules), response_vary=vary)
    client.put_bucket_cors(oss.PutBucketCorsRequest(bucket=bucket, cors_configuration=config))


def put_cors_xml(http: requests.Session, endpoint: str, bucket: str,
                 body: bytes) -> requests.Response:
    """PutBucketCors with a hand-written body, V1-signed, so invalid XML reaches the server."""
    headers = {"Content-Type": "application/xml"}
    return signed(http, "PUT", f"{endpoint}/{bucket}/?cors", headers, body, version="v1")


def signed(http: requests.Session, method: str, url: str, headers: dict[str, str] | None = None,
           body: bytes = b"", *, version: str = "v4", ak: str = AK, sk: str = SK,
           when: float | None = None, region: str = REGION) -> requests.Response:
    """Send a request signed with the reference's own pure signing functions."""
    headers = dict(headers or {})
    now = time.time() if when is None else when
    parts = urlsplit(url)
    bucket, key = resolve_target(parts.netloc, parts.path)
    if version == "v1":
        headers.setdefault("Date", formatdate(now, usegmt=True))
    else:
        headers["x-oss-date"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        headers["x-oss-content-sha256"] = "UNSIGNED-PAYLOAD"
    request = Request(method, parts.path, split_query(parts.query), tuple(headers.items()), body,
                      bucket, key)
    inp = request.signing_input()
    if version == "v1":
        signature = v1_signature(sk, v1_string_to_sign(inp))
        headers["Authorization"] = f"OSS {ak}:{signature}"
    else:
        date = headers["x-oss-date"][:8]
        scope = f"{date}/{region}/oss/aliyun_v4_request"
        sts = v4_string_to_sign(headers["x-oss-date"], scope, v4_canonical_request(inp))
        signature = v4_signature(sk, date, region, "oss", sts)
        headers["Authorization"] = f"{V4_ALGORITHM} Credential={ak}/{scope},Signature={signature}"
    return http.request(method, url, headers=headers, data=body)


def cors_headers(response: requests.Response) -> dict[str, str]:
    """Every Access-Control-* header of a response, by lower-case name."""
    return {k.lower(): v for k, v in response.headers.items()
            if k.lower().startswith("access-control-")}
