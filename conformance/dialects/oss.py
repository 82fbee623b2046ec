"""The OSS dialect: management calls signed (V4 or V1) by the official alibabacloud-oss-v2 SDK."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2 import exceptions as oss_errors

from ..cases.model import CorsConfig, CorsRule
from ..errors import ProvisioningError
from ..exchange import BODY_LIMIT, Exchange
from ..expect import error_fields
from ..targets import Credentials, Target
from .base import CallResult, content_md5_header
from .oss_transport import HttpClientTransport


class _RecordingHttpClient(oss.HttpClient):
    """Wraps the SDK's transport to keep a copy of each exchange for the report."""

    def __init__(self, log: list[Exchange], timeout: float) -> None:
        self._inner = HttpClientTransport(timeout)
        self._log = log

    def send(self, request: Any, **kwargs: Any) -> Any:
        body = request.body if isinstance(request.body, (bytes, str)) else b""
        ex = Exchange(method=request.method, url=request.url, target=request.url,
                      request_headers=list(request.headers.items()))
        start = time.perf_counter()
        response = self._inner.send(request, **kwargs)
        ex.elapsed_ms = (time.perf_counter() - start) * 1000
        ex.status, ex.reason = response.status_code, response.reason
        ex.response_headers = list(response.headers.items())
        ex.truncated = dict(getattr(response, "truncated", None) or {})  # cut when read
        if request.method != "GET" or "cors" in request.url:  # never slurp object bodies
            content = response.read()
            ex.body, ex.body_truncated = content[:BODY_LIMIT], len(content) > BODY_LIMIT
        ex.request_body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        self._log.append(ex)
        return response

    def open(self) -> None:
        self._inner.open()

    def close(self) -> None:
        """Release the SDK's connections."""
        self._inner.close()


class OssDialect:
    """Bucket and CORS management in the OSS dialect."""

    name = "oss"

    def __init__(self, target: Target, credentials: Credentials, timeout: float = 30.0) -> None:
        self.log: list[Exchange] = []
        cfg = oss.config.load_default()
        cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
            credentials.access_key_id, credentials.secret)
        cfg.region = target.region_name
        cfg.endpoint = target.endpoint
        cfg.use_path_style = target.addressing == "path"
        cfg.signature_version = target.signature_version
        cfg.retry_max_attempts = 1
        self._http = _RecordingHttpClient(self.log, timeout)
        cfg.http_client = self._http
        self._client = oss.Client(cfg)
        self._target = target

    def create_bucket(self, bucket: str) -> CallResult:
        """PutBucket."""
        return self._call("PutBucket", lambda: self._client.put_bucket(
            oss.PutBucketRequest(bucket=bucket)))

    def delete_bucket(self, bucket: str) -> CallResult:
        """DeleteBucket."""
        return self._call("DeleteBucket", lambda: self._client.delete_bucket(
            oss.DeleteBucketRequest(bucket=bucket)))

    def put_cors(self, bucket: str, config: CorsConfig) -> CallResult:
        """PutBucketCors with exactly this configuration."""
        request = oss.PutBucketCorsRequest(bucket=bucket, cors_configuration=_to_sdk(config))
        return self._call("PutBucketCors", lambda: self._client.put_bucket_cors(request))

    def put_cors_raw(self, bucket: str, body: bytes, content_md5: str = "auto",
                     content_type: str | None = None) -> CallResult:
        """PutBucketCors with a raw body, signed by the SDK's generic operation call."""
        headers = {"Content-Type": content_type or "application/xml"}
        md5 = content_md5_header(body, content_md5)
        if md5 is not None:
            headers["Content-MD5"] = md5
        op = oss.OperationInput(
            op_name="PutBucketCors", method="PUT", headers=headers, parameters={"cors": ""},
            body=body, bucket=bucket, op_metadata={"sub-resource": ["cors"]})
        return self._call("PutBucketCors", lambda: self._client.invoke_operation(op))

    def get_cors(self, bucket: str) -> tuple[CallResult, CorsConfig | None]:
        """GetBucketCors; None when the bucket has no configuration."""
        holder: dict[str, Any] = {}

        def call() -> Any:
            holder["r"] = self._client.get_bucket_cors(oss.GetBucketCorsRequest(bucket=bucket))
            return holder["r"]

        result = self._call("GetBucketCors", call)
        if not result.ok:
            return result, None
        body = self.log[-1].body if self.log else b""
        return result, _with_ids(_from_sdk(holder["r"].cors_configuration), body)

    def get_cors_raw(self, bucket: str) -> tuple[CallResult, bytes | None]:
        """GetBucketCors as the target sent it (the SDK's generic call); None on an error."""
        holder: dict[str, Any] = {}
        op = oss.OperationInput(
            op_name="GetBucketCors", method="GET", parameters={"cors": ""}, bucket=bucket,
            op_metadata={"sub-resource": ["cors"]})

        def call() -> Any:
            holder["r"] = self._client.invoke_operation(op)
            return holder["r"]

        result = self._call("GetBucketCors", call)
        if not result.ok:
            return result, None
        return result, bytes(holder["r"].http_response.read() or b"")

    def delete_cors(self, bucket: str) -> CallResult:
        """DeleteBucketCors."""
        return self._call("DeleteBucketCors", lambda: self._client.delete_bucket_cors(
            oss.DeleteBucketCorsRequest(bucket=bucket)))

    def put_object(self, bucket: str, key: str, data: bytes) -> CallResult:
        """PutObject."""
        return self._call("PutObject", lambda: self._client.put_object(
            oss.PutObjectRequest(bucket=bucket, key=key, body=data)))

    def delete_object(self, bucket: str, key: str) -> CallResult:
        """DeleteObject."""
        return self._call("DeleteObject", lambda: self._client.delete_object(
            oss.DeleteObjectRequest(bucket=bucket, key=key)))

    def list_buckets(self, prefix: str) -> tuple[CallResult, list[str]]:
        """ListBuckets, every page."""
        names: list[str] = []

        def collect() -> None:
            request = oss.ListBucketsRequest(prefix=prefix)
            for page in self._client.list_buckets_paginator().iter_page(request):
                names.extend(b.name for b in page.buckets or ())

        return self._call("ListBuckets", collect), names

    def list_objects(self, bucket: str) -> tuple[CallResult, list[str]]:
        """ListObjects (v1), every page."""
        keys: list[str] = []

        def collect() -> None:
            pages = self._client.list_objects_paginator().iter_page(
                oss.ListObjectsRequest(bucket=bucket))
            for page in pages:
                keys.extend(o.key for o in page.contents or ())

        return self._call("ListObjects", collect), keys

    def close(self) -> None:
        """Release the SDK's connections."""
        self._http.close()

    def _call(self, operation: str, fn: Callable[[], Any]) -> CallResult:
        """Run one SDK call; service errors become a CallResult, transport errors raise."""
        sent = len(self.log)
        try:
            out = fn()
        except oss_errors.OperationError as exc:
            cause = exc.unwrap()
            if isinstance(cause, oss_errors.ServiceError):
                return CallResult(cause.status_code, cause.code, cause.message)
            if len(self.log) > sent and self.log[-1].status:
                # The SDK could not read the answer (e.g. no Date header on an error): judge
                # the call by what crossed the wire instead of the SDK's complaint.
                answer = self.log[-1]
                code, message = error_fields(answer.body)
                return CallResult(answer.status, code, message or _first_line(cause))
            raise ProvisioningError(_first_line(cause), operation=operation) from None
        return CallResult(getattr(out, "status_code", 200) or 200)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:300]


class _RuleWithId(oss.CORSRule):
    """A CORSRule that also sends S3's <ID>, first.

    OSS documents no ID (OSS-39), so the SDK has no field for it; a case asks what an OSS
    target makes of one.
    """

    _attribute_map = {"id": {"tag": "xml", "rename": "ID", "type": "str"},
                      **oss.CORSRule._attribute_map}

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:  # noqa: A002 - the XML name
        super().__init__(**kwargs)
        self.id = id


def _to_sdk(config: CorsConfig) -> Any:
    rules = [
        (_RuleWithId if r.id is not None else oss.CORSRule)(
            allowed_origins=list(r.allowed_origins),
            allowed_methods=list(r.allowed_methods),
            allowed_headers=list(r.allowed_headers) or None,
            expose_headers=list(r.expose_headers) or None,
            max_age_seconds=r.max_age_seconds,
            **({"id": r.id} if r.id is not None else {}),
        )
        for r in config.rules
    ]
    return oss.CORSConfiguration(cors_rules=rules, response_vary=config.response_vary)


def _from_sdk(cfg: Any) -> CorsConfig | None:
    if cfg is None:
        return None
    rules = tuple(
        CorsRule(
            allowed_origins=tuple(r.allowed_origins or ()),
            allowed_methods=tuple(r.allowed_methods or ()),
            allowed_headers=tuple(r.allowed_headers or ()),
            expose_headers=tuple(r.expose_headers or ()),
            max_age_seconds=r.max_age_seconds,
        )
        for r in cfg.cors_rules or ()
    )
    return CorsConfig(rules=rules, response_vary=cfg.response_vary)


def _with_ids(config: CorsConfig | None, body: bytes) -> CorsConfig | None:
    """`config` with each rule's <ID> read from the GetBucketCors body.

    The SDK models none, and an OSS target that stored one it was sent should be seen so.
    """
    if config is None or b"<ID>" not in body:
        return config
    from ..cors_tree import parse_tree

    try:
        rules = [c[1] for c in parse_tree(body)[1] if c[0] == "CORSRule"]
    except ValueError:
        return config
    if len(rules) != len(config.rules):
        return config
    ids = [next((t for tag, t in r if tag == "ID" and isinstance(t, str)), None)
           if isinstance(r, list) else None for r in rules]
    return CorsConfig(rules=tuple(replace(rule, id=i) for rule, i in zip(config.rules, ids,
                                                                         strict=True)),
                      response_vary=config.response_vary)
