"""OSS object operations a browser application uses beyond Get/Put/Head/Delete/PostObject.

CopyObject (`x-oss-copy-source`) and multipart upload (InitiateMultipartUpload, UploadPart,
CompleteMultipartUpload, AbortMultipartUpload), as OSS documents them: each a Service route
handler over the shared store. Their CORS headers come from Service.handle, like every other
answer's (OSS-73: CORS headers on every object API response, CopyObject included).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from . import errors
from .messages import Request, Response
from .s3_ops import Uploads, copy_object, join_parts, part_number
from .xml_codec import parse_untrusted, xml_text

if TYPE_CHECKING:
    from .layer import Handler
    from .service import Service

_UPLOADS_ATTR = "_oss_uploads"


def _uploads(service: Service) -> Uploads:
    # One table per endpoint, made on first use (dict.setdefault is atomic under the GIL).
    return service.__dict__.setdefault(_UPLOADS_ATTR, Uploads())


def _no_such_upload(upload_id: str) -> errors.OssError:
    return errors.OssError(404, "NoSuchUpload", "The specified upload does not exist. The upload "
                           "ID may be invalid, or the upload may have been aborted or completed.",
                           "0042-00000002", extra=(("UploadId", upload_id),))


def _upload(service: Service, request: Request, bucket: str):  # noqa: ANN202 - s3_ops._Upload
    upload_id = request.params.get("uploadId", "")
    try:
        return _uploads(service).get(upload_id, bucket, request.key or "")
    except errors.OssError:
        raise _no_such_upload(upload_id) from None


def _xml(root: str, elements: list[tuple[str, str]]) -> Response:
    inner = "".join(f"<{tag}>{xml_text(text)}</{tag}>" for tag, text in elements)
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{inner}</{root}>'.encode()
    return Response(200, [("Content-Type", "application/xml")], body)


def put_object(service: Service, request: Request, principal: str | None) -> Response:
    """PutObject, or CopyObject when x-oss-copy-source names the source `/bucket/key`."""
    source = request.header("x-oss-copy-source")
    if source is None:
        return service.put_object(request, principal)
    bucket = service.owned(request, principal)
    etag = copy_object(service, source, bucket, request.key or "", lambda: errors.invalid_argument(
        "Copy Source must mention the source bucket and key: /sourcebucket/sourcekey"))
    return _xml("CopyObjectResult", [("LastModified", _iso_now()), ("ETag", etag)])


def initiate(service: Service, request: Request, principal: str | None) -> Response:
    """InitiateMultipartUpload."""
    bucket = service.owned(request, principal)
    content_type = request.header("Content-Type") or "application/octet-stream"
    upload_id = _uploads(service).start(bucket, request.key or "", content_type)
    return _xml("InitiateMultipartUploadResult", [
        ("Bucket", bucket), ("Key", request.key or ""), ("UploadId", upload_id)])


def upload_part(service: Service, request: Request, principal: str | None) -> Response:
    """UploadPart: the part's ETag is its upper-case MD5, as OSS sends."""
    bucket = service.owned(request, principal)
    upload = _upload(service, request, bucket)
    number = part_number(request.params.get("partNumber", ""))
    if number is None:
        raise errors.invalid_argument("Part number must be an integer between 1 and 10000, "
                                      "inclusive.")
    etag = service.layer.etag(request.body)
    upload.parts[number] = (request.body, etag)
    return Response(200, [("ETag", etag)])


def complete(service: Service, request: Request, principal: str | None) -> Response:
    """CompleteMultipartUpload: the listed parts, in order, become the object."""
    bucket = service.owned(request, principal)
    upload = _upload(service, request, bucket)
    root = parse_untrusted(request.body)
    if root is None or root.tag != "CompleteMultipartUpload":
        raise errors.malformed_xml()
    listed = ({child.tag: (child.text or "").strip() for child in part} for part in root)
    data, etag = join_parts(upload, listed, lambda: errors.OssError(
        400, "InvalidPart", "One or more of the specified parts could not be found or the "
        "specified entity tag might not have matched the part's entity tag.",
        "0042-00000302"), errors.malformed_xml, upper=True)
    service.store.put_object(bucket, upload.key, data, upload.content_type, etag)
    _uploads(service).finish(request.params.get("uploadId", ""))
    return _xml("CompleteMultipartUploadResult", [
        ("Location", f"/{bucket}/{upload.key}"), ("Bucket", bucket), ("Key", upload.key),
        ("ETag", etag)])


def abort(service: Service, request: Request, principal: str | None) -> Response:
    """AbortMultipartUpload: 204."""
    bucket = service.owned(request, principal)
    _upload(service, request, bucket)
    _uploads(service).finish(request.params.get("uploadId", ""))
    return Response(204)


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


ROUTES: dict[tuple[str, str, str | None], Handler] = {
    ("PUT", "object", None): put_object,
    ("POST", "object", "uploads"): initiate,
    ("PUT", "object", "uploadId"): upload_part,
    ("POST", "object", "uploadId"): complete,
    ("DELETE", "object", "uploadId"): abort,
}
