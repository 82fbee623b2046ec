"""The S3 dialect of the reference endpoint, as AWS behaves (docs/spec/s3.md).

Evidence for the CORS behaviour: LocalStack's tests/aws/services/s3/test_s3_cors.snapshot.json,
recorded against real AWS (cited below by snapshot key), and AWS's S3 API reference.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import zlib
from collections.abc import Mapping
from dataclasses import replace

from ..cases.model import CorsConfig
from . import s3_errors as err
from . import s3_xml
from .cors import S3_VARY, grant_headers, match_actual, match_preflight, requested_headers
from .errors import OssError
from .messages import Request, Response
from .s3_auth import SigV4Verifier
from .s3_chunked import decode_aws_chunked
from .s3_ops import ROUTES, Uploads
from .store import StoredCors

CORS_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."
BUCKET_NOT_FOUND = "CORSResponse: Bucket not found"
# Checksums S3 verifies that the standard library can compute; others are taken on trust.
_CHECKSUMS = {
    "x-amz-checksum-crc32": ("CRC32", lambda b: zlib.crc32(b).to_bytes(4, "big")),
    "x-amz-checksum-sha1": ("SHA1", lambda b: hashlib.sha1(b, usedforsecurity=False).digest()),
    "x-amz-checksum-sha256": ("SHA256", lambda b: hashlib.sha256(b).digest()),
}


def _lower(names: tuple[str, ...]) -> tuple[str, ...]:
    # AWS echoes requested header names lower-cased (snapshot opt-get-allowed-diff-casing).
    return tuple(n.lower() for n in names)


class S3Layer:
    """SigV4 (botocore), S3 error bodies, AWS's CORS refusals, Vary and Allow-Credentials."""

    name = "s3"
    server_name = "AmazonS3"
    routes = ROUTES

    def __init__(self) -> None:
        self.uploads = Uploads()  # multipart uploads in progress (s3_ops.py)

    def new_request_id(self) -> tuple[str, list[tuple[str, str]]]:
        """x-amz-request-id (16 upper-case hex) and x-amz-id-2, as on every S3 answer."""
        request_id = secrets.token_hex(8).upper()
        host_id = base64.b64encode(secrets.token_bytes(54)).decode()
        return request_id, [("x-amz-request-id", request_id), ("x-amz-id-2", host_id)]

    def error_response(self, error: OssError, request: Request, request_id: str,
                       id_headers: list[tuple[str, str]]) -> Response:
        """S3's `<Error>`; HEAD errors carry no body."""
        error = err.translate(error)
        host_id = next(v for k, v in id_headers if k == "x-amz-id-2")
        body = b"" if request.method == "HEAD" else s3_xml.error_body(error, request_id, host_id)
        return Response(error.status, [("Content-Type", "application/xml")], body)

    def prepare(self, request: Request) -> Request:
        """Decode an aws-chunked body (botocore's streaming uploads) before anything reads it."""
        encoding = (request.header("Content-Encoding") or "").lower()
        sha = request.header("x-amz-content-sha256") or ""
        if "aws-chunked" in encoding or sha.startswith("STREAMING-"):
            decoded = decode_aws_chunked(request.body,
                                         request.header("x-amz-decoded-content-length"))
            return replace(request, body=decoded)
        return request

    def authenticate(self, request: Request, credentials: Mapping[str, str], region: str,
                     now: float) -> str | None:
        """SigV4 header or presigned query, recomputed by botocore (s3_auth.py)."""
        return SigV4Verifier(credentials, region).authenticate(request, now)

    def check_integrity(self, request: Request, operation: str) -> None:
        """S3 PutBucketCors requires Content-MD5 or an x-amz-checksum-*; present ones must hold."""
        md5 = request.header("Content-MD5")
        has_checksum = any(k.lower().startswith("x-amz-checksum-") for k, _ in request.headers)
        if operation == "put_bucket_cors" and md5 is None and not has_checksum:
            raise err.missing_integrity()
        if md5 is not None:
            try:
                digest = base64.b64decode(md5, validate=True)
            except ValueError:  # binascii.Error, or non-ASCII text
                raise err.invalid_digest(md5) from None
            if len(digest) != 16:
                raise err.invalid_digest(md5)
            if digest != hashlib.md5(request.body, usedforsecurity=False).digest():
                raise err.bad_digest()
        for header, (label, compute) in _CHECKSUMS.items():
            value = request.header(header)
            if value is not None and value != base64.b64encode(compute(request.body)).decode():
                raise err.S3Error(400, "BadDigest", f"The {label} you specified did not match "
                                  "the calculated checksum.")

    def parse_cors(self, body: bytes) -> StoredCors:
        """S3 PutBucketCors validation (s3_xml.parse_cors)."""
        return s3_xml.parse_cors(body)

    def serialize_cors(self, stored: StoredCors) -> bytes:
        """GetBucketCors in the S3 namespace, with rule IDs."""
        return s3_xml.serialize_cors(stored)

    def no_such_cors(self, bucket: str) -> OssError:
        """Snapshot get-cors-no-set."""
        return err.no_such_cors(bucket)

    def preflight(self, request: Request, exists: bool, config: CorsConfig | None) -> Response:
        """AWS's order: Origin, bucket, configuration, then the rules.

        Missing Origin → 400 BadRequest (snapshot options-no-origin); missing bucket → 403
        "Bucket not found" and no configuration → 403 "CORS is not enabled", both with
        ResourceType BUCKET and <Method> the requested method or OPTIONS when none was asked
        (snapshots options-with-origin, options-with-origin-no-method). Without
        Access-Control-Request-Method the OPTIONS method itself is what the rules are asked for,
        so it is refused like any mismatch (LocalStack models AWS this way; not recorded).
        """
        origin = request.header("Origin")
        method = request.header("Access-Control-Request-Method") or "OPTIONS"
        if not origin:
            raise err.missing_origin()
        if not exists:
            raise err.preflight_forbidden(BUCKET_NOT_FOUND, method, "BUCKET")
        if config is None:
            raise err.preflight_forbidden(CORS_NOT_ENABLED, method, "BUCKET")
        names = _lower(requested_headers(request.header("Access-Control-Request-Headers")))
        found = match_preflight(config, origin, method, names)
        if found is None:
            resource = "OBJECT" if request.key else "BUCKET"
            raise err.preflight_forbidden(err.CORS_DENIED, method, resource)
        rule, acao = found
        return Response(200, grant_headers(rule, acao, names, credentials=True, vary=S3_VARY))

    def cors_headers(self, config: CorsConfig | None, request: Request) -> list[tuple[str, str]]:
        """Actual requests: AWS matches on Access-Control-Request-Method/-Headers when present.

        A GET carrying Access-Control-Request-Method: PUT, or request headers the rule does not
        allow, gets no CORS headers (snapshots get-wrong-op, get-non-allowed-with-acl); no match
        means no header at all, Vary included (get-wrong-origin). Preflights carry theirs already.
        """
        origin = request.header("Origin")
        if request.method == "OPTIONS" or config is None or not origin:
            return []
        method = request.header("Access-Control-Request-Method") or request.method
        names = _lower(requested_headers(request.header("Access-Control-Request-Headers")))
        found = match_actual(config, origin, method, names)
        if found is None:
            return []
        rule, acao = found
        return grant_headers(rule, acao, names, credentials=True, vary=S3_VARY)

    def etag(self, data: bytes) -> str:
        """S3's lower-case hex MD5 (snapshot get-right-origin)."""
        return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'

    def object_headers(self) -> list[tuple[str, str]]:
        """Accept-Ranges, as S3 sends on objects."""
        return [("Accept-Ranges", "bytes")]

    def list_buckets_body(self, names: list[str], owner: str, prefix: str,
                          region: str) -> bytes:
        """ListAllMyBucketsResult in the S3 namespace."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return s3_xml.serialize_buckets([(n, now) for n in names], owner)

    def list_objects_body(self, bucket: str, request: Request,
                          objects: list[tuple[str, str, int]]) -> bytes:
        """ListObjects or, with list-type=2, ListObjectsV2."""
        return s3_xml.serialize_objects(bucket, request.params.get("prefix") or "", objects,
                                        v2=request.params.get("list-type") == "2")
