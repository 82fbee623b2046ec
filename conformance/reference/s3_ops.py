"""S3-only operations a browser application uses.

HeadBucket, CopyObject, multipart upload and the SigV4 POST form upload. Each is
a Service route handler `(service, request, principal) -> Response` over the shared store
(ListObjectsV2 is the shared ListObjects, serialised by the layer).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from . import errors
from . import s3_errors as err
from .messages import Request, Response
from .s3_post import authorize_post
from .s3_xml import document, element, parse_root

if TYPE_CHECKING:
    from .layer import Handler
    from .service import Service


@dataclass
class _Upload:
    bucket: str
    key: str
    content_type: str
    parts: dict[int, tuple[bytes, str]] = field(default_factory=dict)


class Uploads:
    """Multipart uploads in progress, by UploadId; every method is atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uploads: dict[str, _Upload] = {}

    def start(self, bucket: str, key: str, content_type: str) -> str:
        """A new UploadId."""
        upload_id = secrets.token_urlsafe(24)
        with self._lock:
            self._uploads[upload_id] = _Upload(bucket, key, content_type)
        return upload_id

    def get(self, upload_id: str, bucket: str, key: str) -> _Upload:
        """The upload, or 404 NoSuchUpload."""
        with self._lock:
            found = self._uploads.get(upload_id)
        if found is None or (found.bucket, found.key) != (bucket, key):
            raise err.S3Error(404, "NoSuchUpload", "The specified upload does not exist. The "
                              "upload ID may be invalid, or the upload may have been aborted or "
                              "completed.", extra=(("UploadId", upload_id),))
        return found

    def finish(self, upload_id: str) -> None:
        """Forget an upload (completed or aborted)."""
        with self._lock:
            self._uploads.pop(upload_id, None)


def _uploads(service: Service) -> Uploads:
    uploads: Uploads = service.layer.uploads  # type: ignore[attr-defined]  # S3Layer only
    return uploads


def _xml(body: bytes, status: int = 200) -> Response:
    return Response(status, [("Content-Type", "application/xml")], body)


def head_bucket(service: Service, request: Request, principal: str | None) -> Response:
    """HeadBucket: 200 for the owner, 404 or 403 without a body."""
    service.owned(request, principal)
    return Response(200, [("x-amz-bucket-region", service.region)])


def put_object(service: Service, request: Request, principal: str | None) -> Response:
    """PutObject, or CopyObject when x-amz-copy-source names the source."""
    source = request.header("x-amz-copy-source")
    if source is None:
        return service.put_object(request, principal)
    bucket = service.owned(request, principal)
    etag = copy_object(service, source, bucket, request.key or "", lambda: err.S3Error(
        400, "InvalidArgument", "Copy Source must mention the source bucket and key: "
        "sourcebucket/sourcekey", extra=(("ArgumentName", "x-amz-copy-source"),)))
    body = document("CopyObjectResult", [
        element("LastModified", _iso_now()), element("ETag", etag)])
    return _xml(body)


def copy_object(service: Service, source: str, bucket: str, key: str,
                bad_source: Callable[[], Exception]) -> str:
    """Copy what `source` (`/bucket/key`, URL-encoded) names to `bucket`/`key`; its ETag.

    `bad_source` makes the dialect's error for a source without a bucket or key.
    """
    src_bucket, _, src_key = unquote(source.partition("?")[0]).lstrip("/").partition("/")
    if not src_bucket or not src_key:
        raise bad_source()
    if not service.store.exists(src_bucket):
        raise errors.no_such_bucket(src_bucket)
    obj = service.store.get_object(src_bucket, src_key)
    if obj is None:
        raise errors.no_such_key(src_key)
    service.store.put_object(bucket, key, obj.data, obj.content_type, obj.etag)
    return obj.etag


def part_number(text: str) -> int | None:
    """A part number 1…10000 written in ASCII digits, or None (`"²".isdigit()` is true)."""
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 10000:
        return None
    return int(text)


def create_upload(service: Service, request: Request, principal: str | None) -> Response:
    """CreateMultipartUpload."""
    bucket = service.owned(request, principal)
    content_type = request.header("Content-Type") or "binary/octet-stream"
    upload_id = _uploads(service).start(bucket, request.key or "", content_type)
    return _xml(document("InitiateMultipartUploadResult", [
        element("Bucket", bucket), element("Key", request.key or ""),
        element("UploadId", upload_id)]))


def upload_part(service: Service, request: Request, principal: str | None) -> Response:
    """UploadPart: the part's ETag is its MD5."""
    bucket = service.owned(request, principal)
    upload = _uploads(service).get(request.params["uploadId"], bucket, request.key or "")
    number = part_number(request.params.get("partNumber", ""))
    if number is None:
        raise err.S3Error(400, "InvalidArgument", "Part number must be an integer between 1 "
                          "and 10000, inclusive", extra=(("ArgumentName", "partNumber"),))
    etag = service.layer.etag(request.body)
    upload.parts[number] = (request.body, etag)
    return Response(200, [("ETag", etag)])


def complete_upload(service: Service, request: Request, principal: str | None) -> Response:
    """CompleteMultipartUpload: the listed parts, in order, become the object."""
    bucket = service.owned(request, principal)
    upload_id = request.params["uploadId"]
    upload = _uploads(service).get(upload_id, bucket, request.key or "")
    listed = ({child.tag.rpartition("}")[2]: (child.text or "").strip() for child in part}
              for part in parse_root(request.body, "CompleteMultipartUpload"))
    data, etag = join_parts(upload, listed, lambda: err.S3Error(
        400, "InvalidPart", "One or more of the specified parts could not be found.  The part "
        "may not have been uploaded, or the specified entity tag may not match the part's "
        "entity tag."), err.malformed_xml)
    service.store.put_object(bucket, upload.key, data, upload.content_type, etag)
    _uploads(service).finish(upload_id)
    return _xml(document("CompleteMultipartUploadResult", [
        element("Location", f"/{bucket}/{upload.key}"), element("Bucket", bucket),
        element("Key", upload.key), element("ETag", etag)]))


def join_parts(upload: _Upload, listed: Iterable[dict[str, str]],
               invalid_part: Callable[[], Exception], no_parts: Callable[[], Exception],
               *, upper: bool = False) -> tuple[bytes, str]:
    """The listed parts' bytes, in the listed order, and the multipart ETag `"md5-N"`.

    `listed`: each part's child elements (PartNumber, ETag) by name. `invalid_part` and
    `no_parts` make the dialect's errors; `upper`: the digest in upper case (OSS).
    """
    chosen = []
    for values in listed:
        number = part_number(values.get("PartNumber", ""))
        stored = upload.parts.get(number) if number is not None else None
        if stored is None or stored[1].strip('"') != values.get("ETag", "").strip('"'):
            raise invalid_part()
        chosen.append(stored)
    if not chosen:
        raise no_parts()
    digest = hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for _, e in chosen),
                         usedforsecurity=False).hexdigest()
    return b"".join(d for d, _ in chosen), f'"{digest.upper() if upper else digest}-{len(chosen)}"'


def abort_upload(service: Service, request: Request, principal: str | None) -> Response:
    """AbortMultipartUpload: 204."""
    bucket = service.owned(request, principal)
    upload_id = request.params["uploadId"]
    _uploads(service).get(upload_id, bucket, request.key or "")
    _uploads(service).finish(upload_id)
    return Response(204)


def post_object(service: Service, request: Request, principal: str | None) -> Response:
    """PostObject with a SigV4-signed policy (s3_post.py); 204 unless success_action_status."""
    bucket = request.bucket or ""
    fields, signer = authorize_post(request, bucket, service.credentials, service.region,
                                    service.clock())
    if service.store.owner(bucket) != signer:
        raise err.access_denied()
    key = _field(fields, "key")
    data = fields.get("file", b"")
    etag = service.layer.etag(data)
    content_type = _field(fields, "content-type") or "binary/octet-stream"
    service.store.put_object(bucket, key, data, content_type, etag)
    status = _field(fields, "success_action_status") or "204"
    headers = [("ETag", etag), ("Location", f"/{bucket}/{key}")]
    if status == "201":
        return Response(201, [*headers, ("Content-Type", "application/xml")], document(
            "PostResponse", [element("Location", f"/{bucket}/{key}"), element("Bucket", bucket),
                             element("Key", key), element("ETag", etag)]))
    return Response(200 if status == "200" else 204, headers)


def _field(fields: dict[str, bytes], name: str) -> str:
    return fields.get(name, b"").decode("utf-8", "replace")


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


ROUTES: dict[tuple[str, str, str | None], Handler] = {
    ("HEAD", "bucket", None): head_bucket,
    ("POST", "bucket", None): post_object,
    ("PUT", "object", None): put_object,
    ("POST", "object", "uploads"): create_upload,
    ("PUT", "object", "uploadId"): upload_part,
    ("POST", "object", "uploadId"): complete_upload,
    ("DELETE", "object", "uploadId"): abort_upload,
}
