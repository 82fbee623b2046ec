"""The OSS dialect of the reference endpoint (docs/spec/oss.md, OSS-1…93)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping

from ..cases.model import CorsConfig
from . import errors
from .auth import authenticate
from .cors import (
    actual_request_headers,
    grant_headers,
    match_preflight,
    requested_headers,
    vary_headers,
)
from .messages import Request, Response
from .oss_ops import ROUTES as OSS_ROUTES
from .store import StoredCors
from .xml_codec import error_body, parse_cors, serialize_buckets, serialize_cors, serialize_objects


def new_request_id() -> str:
    """A 24-character upper-case hex id, the length OSS uses (OSS-1)."""
    return secrets.token_hex(12).upper()


class OssLayer:
    """OSS V1/V4 signatures, OSS error bodies with EC, ResponseVary and OSS's refusals."""

    name = "oss"
    server_name = "AliyunOSS"
    routes: Mapping = OSS_ROUTES  # CopyObject and multipart upload (oss_ops.py)

    def new_request_id(self) -> tuple[str, list[tuple[str, str]]]:
        """`x-oss-request-id` (OSS-1)."""
        request_id = new_request_id()
        return request_id, [("x-oss-request-id", request_id)]

    def error_response(self, err: errors.OssError, request: Request, request_id: str,
                       id_headers: list[tuple[str, str]]) -> Response:
        """OSS-2 body; HEAD errors move it to x-oss-err (OSS-3)."""
        body = error_body(err, request_id, request.host)
        headers = [("Content-Type", "application/xml"), ("x-oss-ec", err.ec)]
        if request.method == "HEAD":  # OSS-3: the SDK decodes bodiless errors from x-oss-err
            headers.append(("x-oss-err", base64.b64encode(body).decode()))
            body = b""
        return Response(err.status, headers, body)

    def prepare(self, request: Request) -> Request:
        """OSS bodies arrive as sent."""
        return request

    def authenticate(self, request: Request, credentials: Mapping[str, str], region: str,
                     now: float) -> str | None:
        """OSS V1 and V4, header and query (OSS-74…79)."""
        return authenticate(request, credentials, region, now)

    def check_integrity(self, request: Request, operation: str) -> None:
        """OSS-52: optional, but a present Content-MD5 must be base64 of the body's MD5."""
        value = request.header("Content-MD5")
        if value is None:
            return
        try:
            digest = base64.b64decode(value, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text
            raise errors.invalid_digest() from None
        if digest != hashlib.md5(request.body, usedforsecurity=False).digest():
            raise errors.invalid_digest()

    def parse_cors(self, body: bytes) -> StoredCors:
        """OSS-38…53."""
        return StoredCors(parse_cors(body))

    def serialize_cors(self, stored: StoredCors) -> bytes:
        """OSS-56…58."""
        return serialize_cors(stored.config)

    def no_such_cors(self, bucket: str) -> errors.OssError:
        """OSS-61."""
        return errors.no_such_cors()

    def preflight(self, request: Request, exists: bool, config: CorsConfig | None) -> Response:
        """OSS-5…37: Authorization and signature parameters are ignored (OSS-13/88)."""
        origin = request.header("Origin")
        if not origin:
            raise errors.missing_origin()
        method = request.header("Access-Control-Request-Method")
        if not method:
            raise errors.missing_request_method()
        if not exists:
            raise errors.no_such_bucket(request.bucket or "")
        if config is None:
            raise errors.cors_not_configured()
        names = requested_headers(request.header("Access-Control-Request-Headers"))
        found = match_preflight(config, origin, method, names)
        if found is None:
            raise errors.cors_denied()
        rule, acao = found
        return Response(200, grant_headers(rule, acao, names))

    def cors_headers(self, config: CorsConfig | None, request: Request) -> list[tuple[str, str]]:
        """OSS-55/69…72/85: the match on actual requests, Vary from ResponseVary on all."""
        if request.method == "OPTIONS":
            return vary_headers(config)
        return actual_request_headers(config, request.header("Origin"), request.method)

    def etag(self, data: bytes) -> str:
        """OSS's upper-case hex MD5."""
        return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest().upper() + '"'

    def object_headers(self) -> list[tuple[str, str]]:
        """x-oss-object-type of a PutObject upload."""
        return [("x-oss-object-type", "Normal")]

    def list_buckets_body(self, names: list[str], owner: str, prefix: str,
                          region: str) -> bytes:
        """ListAllMyBucketsResult, OSS form."""
        return serialize_buckets(names, owner, prefix, region)

    def list_objects_body(self, bucket: str, request: Request,
                          objects: list[tuple[str, str, int]]) -> bytes:
        """ListBucketResult, OSS form."""
        return serialize_objects(bucket, request.params.get("prefix") or "", objects)
