"""Signed probe requests: a case's `sign:` and `upload:` turned into what goes on the wire.

The target's dialect signs (dialects/s3_sign.py, oss_sign.py); this module decides what is
signed: the method (a preflight's URL is signed for its Access-Control-Request-Method, as a
web page presigns the upload it is about to make), the headers the signature covers, and, for
multipart steps, the upload the request belongs to, started here first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

from .cases.model import ProbeRequest, Signing
from .dialects.sign_base import RequestSigner, Signed, ToSign
from .exchange import Exchange
from .probe import DEFAULT_CONTENT_TYPE
from .targets import Credentials, Target

# Headers the probe writes itself (browser_headers); a signature covers them as the probe
# sends them, but the signer's copy is not sent twice.
_PROBE_WRITES = {"host", "content-type", "content-length"}
_UPLOAD_ID = re.compile(r"<UploadId>([^<]{1,1024})</UploadId>")

Fire = Callable[[str, ProbeRequest, list[tuple[str, str]]], Exchange]


def make_signer(target: Target, credentials: Credentials) -> RequestSigner:
    """The request signer of the target's dialect."""
    if target.dialect == "s3":
        from .dialects.s3_sign import S3Signer

        return S3Signer(target, credentials)
    from .dialects.oss_sign import OssSigner

    return OssSigner(target, credentials)


class SigningError(Exception):
    """A multipart step could not get the upload it needs (one line, for the item's record)."""


def prepare(signer: RequestSigner, bucket: str, url: str, req: ProbeRequest,
            fire: Fire) -> tuple[str, ProbeRequest, list[tuple[str, str]]]:
    """The URL, request and extra signed header lines to send for a signed `req`."""
    how = req.sign or Signing()
    if req.upload is not None:
        url, req = _in_upload(signer, bucket, url, req, how, fire)
    if req.method == "OPTIONS":  # the URL a page presigned for its actual request, no headers
        signed = signer.sign(_to_sign(signer, bucket, url, req, req.request_method or "GET",
                                      with_body=False), how)
        return signed.url, req, []
    signed = signer.sign(_to_sign(signer, bucket, url, req, req.method, with_body=True), how)
    if signed.body is not None:  # a POST form: the signature travels in the body
        req = replace(req, body=signed.body, content_type=signed.content_type)
    return signed.url, req, _extra(signed)


def _to_sign(signer: RequestSigner, bucket: str, url: str, req: ProbeRequest, method: str,
             with_body: bool) -> ToSign:
    how = req.sign or Signing()
    headers: list[tuple[str, str]] = []
    if with_body and req.body is not None:
        headers.append(("Content-Type", req.content_type or DEFAULT_CONTENT_TYPE))
    if how.acl is not None:
        headers.append((signer.acl_header(), how.acl))
    if how.copy_from is not None:
        headers.append((signer.copy_header(), f"/{bucket}{how.copy_from}"))
    headers += list(how.headers)
    path = urlsplit(url).path
    key = _key_of(bucket, path)
    body = (req.body or "").encode() if with_body else b""
    return ToSign(method=method, url=url, bucket=bucket, key=key, headers=tuple(headers),
                  body=body)


def _key_of(bucket: str, path: str) -> str | None:
    """The object key of a URL path, path-style (/bucket/key) or virtual-hosted (/key)."""
    prefix = f"/{bucket}"
    if path == prefix or path.startswith(prefix + "/"):
        path = path[len(prefix):]
    key = unquote(path.lstrip("/"))
    return key or None


def _extra(signed: Signed) -> list[tuple[str, str]]:
    return [(n, v) for n, v in signed.headers if n.lower() not in _PROBE_WRITES]


def _in_upload(signer: RequestSigner, bucket: str, url: str, req: ProbeRequest, how: Signing,
               fire: Fire) -> tuple[str, ProbeRequest]:
    """Start a multipart upload for the request's key; UploadPart or Complete joins it."""
    base = url.split("?", 1)[0]
    good = replace(how, expired=False, wrong_secret=False, where="header")
    start = ProbeRequest(method="POST", path="", body="", sign=good)
    ex = _send(signer, bucket, base + "?uploads", start, fire)
    found = _UPLOAD_ID.search(ex.body.decode("utf-8", "replace") if ex.body else "")
    if found is None:
        raise SigningError(f"InitiateMultipartUpload answered {ex.status or ex.error}: "
                           "no UploadId to send the step with")
    upload_id = found.group(1)
    if req.upload == "part":
        return f"{base}?partNumber=1&uploadId={upload_id}", req
    part = ProbeRequest(method="PUT", path="", body="part one of the conformance upload\n",
                        content_type="text/plain", sign=good)
    ex = _send(signer, bucket, f"{base}?partNumber=1&uploadId={upload_id}", part, fire)
    etag = next((v for k, v in ex.response_headers if k.lower() == "etag"), None)
    if etag is None:
        raise SigningError(f"UploadPart answered {ex.status or ex.error} without an ETag")
    return f"{base}?uploadId={upload_id}", replace(
        req, body=_complete_body(etag), content_type="application/xml")


def _send(signer: RequestSigner, bucket: str, url: str, req: ProbeRequest,
          fire: Fire) -> Exchange:
    signed = signer.sign(_to_sign(signer, bucket, url, req, req.method, with_body=True),
                         req.sign or Signing())
    return fire(signed.url, req, _extra(signed))


def _complete_body(etag: str) -> str:
    root = Element("CompleteMultipartUpload")
    part = SubElement(root, "Part")
    SubElement(part, "PartNumber").text = "1"
    SubElement(part, "ETag").text = etag
    return tostring(root, encoding="unicode")
