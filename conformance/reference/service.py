"""The operations of the reference endpoint, shared by both dialects, from one route table.

`Service.handle` turns a parsed Request into a Response: preflights are evaluated anonymously
(OSS-13), everything else is authenticated first; CORS headers are added to every answer from the
configuration in force when the request arrived (OSS-55, OSS-85). What differs between OSS and S3
(signatures, error shapes, validation, refusals) is the layer's (layer.py, oss_layer.py,
s3_layer.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate

from . import errors
from .layer import Handler, Layer
from .messages import BUCKET_NAME, Request, Response
from .oss_layer import OssLayer, new_request_id
from .post_object import authorize, parse_form
from .store import BucketMissing, BucketNotEmpty, Store

log = logging.getLogger(__name__)

__all__ = ["ROUTES", "Handler", "Service", "new_request_id"]


def make_layer(dialect: str) -> Layer:
    """The layer of a dialect name ("oss" or "s3")."""
    if dialect == "oss":
        return OssLayer()
    if dialect == "s3":
        from .s3_layer import S3Layer

        return S3Layer()
    raise ValueError(f"unknown dialect {dialect!r}: expected oss or s3")


class Service:
    """State plus the operations of one endpoint; safe to call from many threads."""

    def __init__(self, credentials: Mapping[str, str], region: str,
                 clock: Callable[[], float] = time.time, dialect: str = "oss") -> None:
        self.credentials = dict(credentials)
        self.region = region
        self.clock = clock
        self.store = Store()
        self.layer = make_layer(dialect)
        self.routes = {**ROUTES, **self.layer.routes}

    # --- entry point -----------------------------------------------------------------------------

    def handle(self, request: Request, failure: errors.OssError | None = None) -> Response:
        """Answer one request; never raises. `failure` is an error the transport already found."""
        layer = self.layer
        request_id, id_headers = layer.new_request_id()
        config = self.store.cors_if_exists(request.bucket)  # the rules in force on arrival
        try:
            if failure is not None:
                raise failure
            if request.method == "OPTIONS":
                exists = bool(request.bucket) and self.store.exists(request.bucket or "")
                response = layer.preflight(request, exists, config)
            else:
                response = self._operate(layer.prepare(request))
        except errors.OssError as err:
            response = layer.error_response(err, request, request_id, id_headers)
        except BucketMissing as exc:
            response = layer.error_response(errors.no_such_bucket(exc.bucket), request,
                                            request_id, id_headers)
        except BucketNotEmpty:
            err = errors.bucket_not_empty(request.bucket or "")
            response = layer.error_response(err, request, request_id, id_headers)
        except Exception:  # a bug here must still produce a well-formed error answer
            log.exception("reference endpoint failed on %s %s", request.method, request.path)
            response = layer.error_response(errors.internal_error(), request, request_id,
                                            id_headers)
        response.headers += layer.cors_headers(config, request)
        response.headers += id_headers
        return response

    # --- signed operations -----------------------------------------------------------------------

    def _operate(self, request: Request) -> Response:
        principal = self.layer.authenticate(request, self.credentials, self.region, self.clock())
        if request.bucket is None:
            if request.method == "GET":
                return self.list_buckets(request, principal)
            raise errors.method_not_allowed()
        scope = "bucket" if request.key is None else "object"
        sub = next((s for s in SUBRESOURCES if s in request.params), None)
        handler = self.routes.get((request.method, scope, sub))
        if handler is None:  # garbage methods and sub-resources this endpoint does not serve
            raise errors.method_not_allowed()
        self.layer.check_integrity(request, handler.__name__)
        return handler(self, request, principal)

    def owned(self, request: Request, principal: str | None) -> str:
        """The request's bucket, once it exists and `principal` owns it (else the error).

        Existence first: NoSuchBucket is answered before the caller is judged (OSS-54/62/67).
        """
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
        self.store.delete_bucket(self.owned(request, principal))
        return Response(204)

    def put_bucket_cors(self, request: Request, principal: str | None) -> Response:
        """PutBucketCors: validate, then replace the whole configuration (OSS-38…53)."""
        bucket = self.owned(request, principal)
        self.store.set_cors(bucket, self.layer.parse_cors(request.body))
        return Response(200)

    def get_bucket_cors(self, request: Request, principal: str | None) -> Response:
        """GetBucketCors (OSS-56…62)."""
        bucket = self.owned(request, principal)
        stored = self.store.stored_cors(bucket)
        if stored is None:
            raise self.layer.no_such_cors(bucket)
        return Response(200, [("Content-Type", "application/xml")],
                        self.layer.serialize_cors(stored))

    def delete_bucket_cors(self, request: Request, principal: str | None) -> Response:
        """DeleteBucketCors: 204 whether or not a configuration existed (OSS-64/65)."""
        self.store.set_cors(self.owned(request, principal), None)
        return Response(204)

    def put_object(self, request: Request, principal: str | None) -> Response:
        """PutObject: store the body under the dialect's ETag."""
        bucket = self.owned(request, principal)
        etag = self.layer.etag(request.body)
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
                   *self.layer.object_headers()]
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
        etag = self.layer.etag(data)
        self.store.put_object(bucket, key, data, "application/octet-stream", etag)
        return Response(204, [("ETag", etag)])

    def list_buckets(self, request: Request, principal: str | None) -> Response:
        """ListBuckets: the caller's buckets, optionally under a prefix."""
        if principal is None:
            raise errors.anonymous_denied("bucket")
        prefix = request.params.get("prefix") or ""
        body = self.layer.list_buckets_body(self.store.buckets_of(principal, prefix), principal,
                                            prefix, self.region)
        return Response(200, [("Content-Type", "application/xml")], body)

    def list_objects(self, request: Request, principal: str | None) -> Response:
        """ListObjects (v1): every key under the prefix, in one page."""
        bucket = self.owned(request, principal)
        prefix = request.params.get("prefix") or ""
        listed = [(k, o.etag, len(o.data)) for k, o in self.store.keys(bucket, prefix)]
        return Response(200, [("Content-Type", "application/xml")],
                        self.layer.list_objects_body(bucket, request, listed))

    def delete_object(self, request: Request, principal: str | None) -> Response:
        """DeleteObject: 204, also for an absent key."""
        self.store.delete_object(self.owned(request, principal), request.key or "")
        return Response(204)


# Query keys that select another operation on the same method and path, first match wins.
SUBRESOURCES = ("cors", "uploads", "uploadId")

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
