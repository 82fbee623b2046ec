"""The OSS operations of the reference endpoint, dispatched from one route table.

`Service.handle` turns a parsed Request into a Response: preflights are evaluated anonymously
(OSS-13), everything else is authenticated first; CORS headers and `Vary` are added to every answer
from the configuration in force when the request arrived (OSS-55, OSS-85).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate

from . import errors
from .auth import authenticate
from .cors import (
    actual_request_headers,
    grant_headers,
    match_preflight,
    requested_headers,
    vary_headers,
)
from .messages import BUCKET_NAME, Request, Response
from .post_object import authorize, parse_form
from .store import BucketMissing, BucketNotEmpty, Store
from .xml_codec import (
    error_body,
    parse_cors,
    serialize_buckets,
    serialize_cors,
    serialize_objects,
)

log = logging.getLogger(__name__)

Handler = Callable[["Service", Request, "str | None"], Response]


def new_request_id() -> str:
    """A 24-character upper-case hex id, the length OSS uses (OSS-1)."""
    return secrets.token_hex(12).upper()


def _check_md5(request: Request) -> None:
    # OSS-52: optional, but a present Content-MD5 must be base64 of the body's MD5.
    value = request.header("Content-MD5")
    if value is None:
        return
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise errors.invalid_digest() from None
    if digest != hashlib.md5(request.body, usedforsecurity=False).digest():
        raise errors.invalid_digest()


class Service:
    """State plus the operations of one endpoint; safe to call from many threads."""

    def __init__(self, credentials: Mapping[str, str], region: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.credentials = dict(credentials)
        self.region = region
        self.clock = clock
        self.store = Store()

    # --- entry point -----------------------------------------------------------------------------

    def handle(self, request: Request, failure: errors.OssError | None = None) -> Response:
        """Answer one request; never raises. `failure` is an error the transport already found."""
        request_id = new_request_id()
        config = self.store.cors_if_exists(request.bucket)  # the rules in force on arrival
        try:
            if failure is not None:
                raise failure
            if request.method == "OPTIONS":
                response = self._preflight(request)
            else:
                response = self._operate(request)
        except errors.OssError as err:
            response = self._error(err, request, request_id)
        except BucketMissing as exc:
            response = self._error(errors.no_such_bucket(exc.bucket), request, request_id)
        except BucketNotEmpty:
            err = errors.bucket_not_empty(request.bucket or "")
            response = self._error(err, request, request_id)
        except Exception:  # a bug here must still produce an OSS-shaped answer
            log.exception("reference endpoint failed on %s %s", request.method, request.path)
            response = self._error(errors.internal_error(), request, request_id)
        if request.method == "OPTIONS":
            response.headers += vary_headers(config)
        else:
            response.headers += actual_request_headers(config, request.header("Origin"),
                                                       request.method)
        response.headers.append(("x-oss-request-id", request_id))
        return response

    def _error(self, err: errors.OssError, request: Request, request_id: str) -> Response:
        body = error_body(err, request_id, request.host)
        headers = [("Content-Type", "application/xml"), ("x-oss-ec", err.ec)]
        if request.method == "HEAD":  # OSS-3: the SDK decodes bodiless errors from x-oss-err
            headers.append(("x-oss-err", base64.b64encode(body).decode()))
            body = b""
        return Response(err.status, headers, body)

    # --- preflight (OSS-5…37, 87…91) -------------------------------------------------------------

    def _preflight(self, request: Request) -> Response:
        # Authorization, Content-MD5, Content-Type and signature parameters are ignored (OSS-13/88).
        origin = request.header("Origin")
        if not origin:
            raise errors.missing_origin()
        method = request.header("Access-Control-Request-Method")
        if not method:
            raise errors.missing_request_method()
        config = self.store.cors(request.bucket or "")
        if config is None:
            raise errors.cors_not_configured()
        names = requested_headers(request.header("Access-Control-Request-Headers"))
        found = match_preflight(config, origin, method, names)
        if found is None:
            raise errors.cors_denied()
        rule, acao = found
        return Response(200, grant_headers(rule, acao, names))

    # --- signed operations -----------------------------------------------------------------------

    def _operate(self, request: Request) -> Response:
        principal = authenticate(request, self.credentials, self.region, self.clock())
        _check_md5(request)
        if request.bucket is None:
            if request.method == "GET":
                return self.list_buckets(request, principal)
            raise errors.not_implemented(f"{request.method} on the service root")
        scope = "bucket" if request.key is None else "object"
        sub = "cors" if "cors" in request.params else None
        handler = ROUTES.get((request.method, scope, sub))
        if handler is None:
            suffix = "?cors " if sub else ""
            raise errors.not_implemented(f"{request.method} {suffix}on a {scope}")
        return handler(self, request, principal)

    def _owned(self, request: Request, principal: str | None) -> str:
        # Existence first: OSS answers NoSuchBucket before judging the caller (OSS-54/62/67).
        bucket = request.bucket or ""
        owner = self.store.owner(bucket)
        if principal is None:
            raise errors.anonymous_denied("bucket")
        if principal != owner:
            raise errors.not_owner()
        return bucket

    def put_bucket(self, request: Request, principal: str | None) -> Response:
        """PutBucket: create, idempotent for the owner."""
        bucket = request.bucket or ""
        if not BUCKET_NAME.match(bucket):
            raise errors.invalid_bucket_name(bucket)
        if principal is None:
            raise errors.anonymous_denied("bucket")
        if self.store.create_bucket(bucket, principal) != principal:
            raise errors.bucket_already_exists(bucket)
        return Response(200, [("Location", f"/{bucket}")])

    def delete_bucket(self, request: Request, principal: str | None) -> Response:
        """DeleteBucket: 204, or 409 BucketNotEmpty while objects remain."""
        self.store.delete_bucket(self._owned(request, principal))
        return Response(204)

    def put_bucket_cors(self, request: Request, principal: str | None) -> Response:
        """PutBucketCors: validate, then replace the whole configuration (OSS-38…53)."""
        bucket = self._owned(request, principal)
        self.store.set_cors(bucket, parse_cors(request.body))
        return Response(200)

    def get_bucket_cors(self, request: Request, principal: str | None) -> Response:
        """GetBucketCors (OSS-56…62)."""
        config = self.store.cors(self._owned(request, principal))
        if config is None:
            raise errors.no_such_cors()
        return Response(200, [("Content-Type", "application/xml")], serialize_cors(config))

    def delete_bucket_cors(self, request: Request, principal: str | None) -> Response:
        """DeleteBucketCors: 204 whether or not a configuration existed (OSS-64/65)."""
        self.store.set_cors(self._owned(request, principal), None)
        return Response(204)

    def put_object(self, request: Request, principal: str | None) -> Response:
        """PutObject: store the body; the ETag is OSS's upper-case hex MD5."""
        bucket = self._owned(request, principal)
        etag = '"' + hashlib.md5(request.body, usedforsecurity=False).hexdigest().upper() + '"'
        content_type = request.header("Content-Type") or "application/octet-stream"
        self.store.put_object(bucket, request.key or "", request.body, content_type, etag)
        return Response(200, [("ETag", etag)])

    def get_object(self, request: Request, principal: str | None) -> Response:
        """GetObject/HeadObject: objects are public-read, so anonymous callers are served."""
        obj = self.store.get_object(request.bucket or "", request.key or "")
        if obj is None:
            raise errors.no_such_key(request.key or "")
        headers = [("Content-Type", obj.content_type), ("ETag", obj.etag),
                   ("Last-Modified", formatdate(obj.last_modified, usegmt=True)),
                   ("x-oss-object-type", "Normal")]
        if request.method == "HEAD":
            return Response(200, headers, b"", content_length=len(obj.data))
        return Response(200, headers, obj.data)

    def post_object(self, request: Request, principal: str | None) -> Response:
        """PostObject: a form upload signed in the form; 204 as success_action_status default."""
        fields = parse_form(request.header("Content-Type") or "", request.body)
        signer = authorize(fields, self.credentials, self.clock())
        bucket = request.bucket or ""
        if self.store.owner(bucket) != signer:
            raise errors.not_owner()
        key = fields.get("key", b"").decode("utf-8", "replace")
        if not key:
            raise errors.invalid_argument("PostObject needs a key field.")
        data = fields.get("file", b"")
        etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest().upper() + '"'
        self.store.put_object(bucket, key, data, "application/octet-stream", etag)
        return Response(204, [("ETag", etag)])

    def list_buckets(self, request: Request, principal: str | None) -> Response:
        """ListBuckets: the caller's buckets, optionally under a prefix."""
        if principal is None:
            raise errors.anonymous_denied("bucket")
        prefix = request.params.get("prefix") or ""
        body = serialize_buckets(self.store.buckets_of(principal, prefix), principal, prefix,
                                 self.region)
        return Response(200, [("Content-Type", "application/xml")], body)

    def list_objects(self, request: Request, principal: str | None) -> Response:
        """ListObjects (v1): every key under the prefix, in one page."""
        bucket = self._owned(request, principal)
        prefix = request.params.get("prefix") or ""
        listed = [(k, o.etag, len(o.data)) for k, o in self.store.keys(bucket, prefix)]
        return Response(200, [("Content-Type", "application/xml")],
                        serialize_objects(bucket, prefix, listed))

    def delete_object(self, request: Request, principal: str | None) -> Response:
        """DeleteObject: 204, also for an absent key."""
        self.store.delete_object(self._owned(request, principal), request.key or "")
        return Response(204)


ROUTES: dict[tuple[str, str, str | None], Handler] = {
    ("PUT", "bucket", None): Service.put_bucket,
    ("GET", "bucket", None): Service.list_objects,
    ("POST", "bucket", None): Service.post_object,
    ("DELETE", "bucket", None): Service.delete_bucket,
    ("PUT", "bucket", "cors"): Service.put_bucket_cors,
    ("GET", "bucket", "cors"): Service.get_bucket_cors,
    ("DELETE", "bucket", "cors"): Service.delete_bucket_cors,
    ("PUT", "object", None): Service.put_object,
    ("GET", "object", None): Service.get_object,
    ("HEAD", "object", None): Service.get_object,
    ("DELETE", "object", None): Service.delete_object,
}
