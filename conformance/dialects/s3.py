"""The S3 dialect: management calls signed with SigV4 by botocore, recorded through its events."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.httpchecksum import Crc32Checksum

from ..cases.model import CorsConfig, CorsRule
from ..errors import ProvisioningError
from ..exchange import BODY_LIMIT, Exchange
from ..targets import Credentials, Target
from .base import CallResult, content_md5_header
from .s3_transport import BoundedSender


class _Recorder:
    """Keeps a copy of each exchange botocore sends, via `before-send` and `needs-retry`."""

    def __init__(self, log: list[Exchange]) -> None:
        self._log = log
        self._pending: Exchange | None = None
        self._start = 0.0

    def register(self, events: Any) -> None:
        events.register("before-send.s3", self.before_send)
        events.register("needs-retry.s3", self.after_attempt)

    def before_send(self, request: Any, **_: Any) -> None:
        # The request here is final: signed, checksummed, exactly what goes on the wire.
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        ex = Exchange(method=request.method, url=request.url, target=target,
                      request_headers=[(k, _text(v)) for k, v in request.headers.items()])
        if isinstance(request.body, (bytes, bytearray, str)):
            ex.request_body = _text(request.body)
        self._log.append(ex)
        self._pending, self._start = ex, time.perf_counter()
        return None  # None lets botocore send the request itself

    def after_attempt(self, response: Any = None, caught_exception: Any = None,
                      **_: Any) -> None:
        # Fires once per attempt with the raw answer (or the transport error); never retries.
        ex, self._pending = self._pending, None
        if ex is None:
            return None
        ex.elapsed_ms = (time.perf_counter() - self._start) * 1000
        if response is None:
            ex.error = _first_line(caught_exception) if caught_exception else "no answer"
            return None
        http = response[0]
        raw = getattr(http, "raw", None)
        ex.status, ex.reason = http.status_code, getattr(raw, "reason", "") or ""
        headers = getattr(raw, "headers", None) or http.headers  # raw keeps duplicates
        ex.response_headers = [(k, _text(v)) for k, v in headers.items()]
        ex.truncated = dict(getattr(raw, "truncated", None) or {})  # cut when read
        content = http.content or b""
        ex.body, ex.body_truncated = content[:BODY_LIMIT], len(content) > BODY_LIMIT
        return None

    def abandon(self, exc: BaseException) -> None:
        """An attempt that ended without reaching `needs-retry` (e.g. an unparsable answer)."""
        if self._pending is not None:
            self._pending.error = _first_line(exc)
            self._pending = None


_INTEGRITY_HEADERS = {"content-md5", "content-length", "x-amz-checksum-crc32",
                      "x-amz-sdk-checksum-algorithm", "x-amz-trailer"}


class S3Dialect:
    """Bucket and CORS management in the S3 dialect."""

    name = "s3"

    def __init__(self, target: Target, credentials: Credentials, timeout: float = 30.0) -> None:
        self.log: list[Exchange] = []
        self._target = target
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "virtual" if target.addressing == "virtual" else "path"},
            # One attempt: a retry would hide the target's first answer and double the log.
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=timeout, read_timeout=timeout,
            # Send exactly the case's configuration; the target, not botocore, judges it.
            parameter_validation=False,
            # No checksums beyond what an operation requires (PutBucketCors still sends CRC32):
            # older S3 clones reject aws-chunked uploads.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = botocore.session.get_session()
        self._client = session.create_client(
            "s3", endpoint_url=target.endpoint, region_name=target.region_name,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret, config=config)
        self._recorder = _Recorder(self.log)
        self._recorder.register(self._client.meta.events)
        # after the recorder: it sends the request itself, within the exchange deadline
        self._sender = BoundedSender(timeout)
        self._client.meta.events.register("before-send.s3", self._sender)

    def create_bucket(self, bucket: str) -> CallResult:
        """CreateBucket (a LocationConstraint outside us-east-1, as S3 requires)."""
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if self._target.region_name != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._target.region_name}
        return self._call("CreateBucket", lambda: self._client.create_bucket(**kwargs))[0]

    def delete_bucket(self, bucket: str) -> CallResult:
        """DeleteBucket."""
        return self._call("DeleteBucket", lambda: self._client.delete_bucket(Bucket=bucket))[0]

    def put_cors(self, bucket: str, config: CorsConfig) -> CallResult:
        """PutBucketCors with exactly this configuration (S3 has no ResponseVary: dropped)."""
        body = to_botocore(config)
        return self._call("PutBucketCors", lambda: self._client.put_bucket_cors(
            Bucket=bucket, CORSConfiguration=body))[0]

    def put_cors_raw(self, bucket: str, body: bytes, content_md5: str = "auto",
                     content_type: str | None = None) -> CallResult:
        """PutBucketCors with a raw body, still signed by botocore.

        botocore serialises a placeholder configuration; just before signing, the body is
        swapped for the raw bytes and the integrity headers are made to describe them.
        """
        def swap(request: Any, **_: Any) -> None:
            request.data = body
            for name in [h for h in request.headers if h.lower() in _INTEGRITY_HEADERS]:
                del request.headers[name]
            crc = Crc32Checksum()
            crc.update(body)
            request.headers["x-amz-checksum-crc32"] = crc.b64digest()
            request.headers["x-amz-sdk-checksum-algorithm"] = "CRC32"
            request.headers["Content-Length"] = str(len(body))
            md5 = content_md5_header(body, content_md5)
            if md5 is not None:
                request.headers["Content-MD5"] = md5
            if content_type:
                request.headers["Content-Type"] = content_type

        events = self._client.meta.events
        events.register_first("before-sign.s3.PutBucketCors", swap, unique_id="raw-cors")
        try:
            placeholder = {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}
            return self._call("PutBucketCors", lambda: self._client.put_bucket_cors(
                Bucket=bucket, CORSConfiguration=placeholder))[0]
        finally:
            events.unregister("before-sign.s3.PutBucketCors", unique_id="raw-cors")

    def get_cors(self, bucket: str) -> tuple[CallResult, CorsConfig | None]:
        """GetBucketCors; None when the bucket has no configuration."""
        result, out = self._call("GetBucketCors",
                                 lambda: self._client.get_bucket_cors(Bucket=bucket))
        return result, (from_botocore(out) if result.ok else None)

    def get_cors_raw(self, bucket: str) -> tuple[CallResult, bytes | None]:
        """GetBucketCors as the target sent it; None on an error answer.

        The body is taken just before botocore parses it (its parser drops nothing on the wire,
        but its output shape has no room for what it does not model).
        """
        seen: dict[str, bytes] = {}

        def keep(response_dict: dict, **_: Any) -> None:
            seen["body"] = bytes(response_dict.get("body") or b"")

        events = self._client.meta.events
        events.register_first("before-parse.s3.GetBucketCors", keep, unique_id="raw-get-cors")
        try:
            result, _ = self._call("GetBucketCors",
                                   lambda: self._client.get_bucket_cors(Bucket=bucket))
        finally:
            events.unregister("before-parse.s3.GetBucketCors", unique_id="raw-get-cors")
        return result, (seen.get("body", b"") if result.ok else None)

    def delete_cors(self, bucket: str) -> CallResult:
        """DeleteBucketCors."""
        return self._call("DeleteBucketCors",
                          lambda: self._client.delete_bucket_cors(Bucket=bucket))[0]

    def put_object(self, bucket: str, key: str, data: bytes) -> CallResult:
        """PutObject."""
        return self._call("PutObject", lambda: self._client.put_object(
            Bucket=bucket, Key=key, Body=data))[0]

    def delete_object(self, bucket: str, key: str) -> CallResult:
        """DeleteObject."""
        return self._call("DeleteObject", lambda: self._client.delete_object(
            Bucket=bucket, Key=key))[0]

    def list_buckets(self, prefix: str) -> tuple[CallResult, list[str]]:
        """ListBuckets (filtered here: older S3 clones ignore a Prefix parameter)."""
        result, out = self._call("ListBuckets", self._client.list_buckets)
        names = [b["Name"] for b in (out or {}).get("Buckets", [])] if result.ok else []
        return result, [n for n in names if n.startswith(prefix)]

    def list_objects(self, bucket: str) -> tuple[CallResult, list[str]]:
        """ListObjectsV2, every page."""
        keys: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": bucket}
            if token:
                kwargs["ContinuationToken"] = token
            result, out = self._call("ListObjectsV2",
                                     lambda kw=kwargs: self._client.list_objects_v2(**kw))
            if not result.ok:
                return result, keys
            keys += [o["Key"] for o in out.get("Contents", [])]
            token = out.get("NextContinuationToken")
            if not out.get("IsTruncated") or not token:
                return result, keys

    def close(self) -> None:
        """Release botocore's connections."""
        self._client.close()
        self._sender.close()

    def _call(self, operation: str, fn: Callable[[], Any]) -> tuple[CallResult, dict]:
        """Run one botocore call; service errors become a CallResult, transport errors raise."""
        try:
            out = fn()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return CallResult(status, error.get("Code"), error.get("Message")), {}
        except BotoCoreError as exc:
            self._recorder.abandon(exc)
            raise ProvisioningError(_first_line(exc), operation=operation) from None
        status = out.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
        return CallResult(status), out


def to_botocore(config: CorsConfig) -> dict:
    """The botocore `CORSConfiguration` shape; optional members only when set."""
    rules = []
    for r in config.rules:
        rule: dict[str, Any] = {"AllowedOrigins": list(r.allowed_origins),
                                "AllowedMethods": list(r.allowed_methods)}
        if r.id is not None:
            rule["ID"] = r.id
        if r.allowed_headers:
            rule["AllowedHeaders"] = list(r.allowed_headers)
        if r.expose_headers:
            rule["ExposeHeaders"] = list(r.expose_headers)
        if r.max_age_seconds is not None:
            rule["MaxAgeSeconds"] = r.max_age_seconds
        rules.append(rule)
    return {"CORSRules": rules}


def from_botocore(out: dict) -> CorsConfig:
    """A CorsConfig from GetBucketCors output, rule IDs included (no ResponseVary in S3)."""
    rules = tuple(
        CorsRule(
            allowed_origins=tuple(r.get("AllowedOrigins") or ()),
            allowed_methods=tuple(r.get("AllowedMethods") or ()),
            allowed_headers=tuple(r.get("AllowedHeaders") or ()),
            expose_headers=tuple(r.get("ExposeHeaders") or ()),
            max_age_seconds=r.get("MaxAgeSeconds"),
            id=r.get("ID"),
        )
        for r in out.get("CORSRules") or ()
    )
    return CorsConfig(rules=rules, response_vary=None)


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:300]
