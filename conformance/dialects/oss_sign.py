"""OSS request signing by alibabacloud-oss-v2: V4 and V1, as a header or a presigned query.

The SDK's signers take the signing time and the expiration as inputs (SigningContext), so an
`expired` URL is the SDK's own presign at a time an hour ago. A PostObject form is signed with
V1 (the SDK has no form signer): its V1 signer's HMAC over the base64 policy, which is what the
PostObject form signature is; the policy's expiration is what `expired` puts in the past.
"""

from __future__ import annotations

import base64
import datetime
import json

from alibabacloud_oss_v2.signer import SignerV1, SignerV4
from alibabacloud_oss_v2.types import Credentials as OssCredentials
from alibabacloud_oss_v2.types import HttpRequest, SigningContext
from urllib3 import encode_multipart_formdata

from ..cases.model import Signing
from ..targets import Credentials, Target
from .s3_sign import FORM_FILE_BODY
from .sign_base import EXPIRED_BY_S, WRONG_SECRET, Signed, ToSign


class OssSigner:
    """Signs probe requests as an OSS client would (alibabacloud-oss-v2)."""

    name = "oss"

    def __init__(self, target: Target, credentials: Credentials) -> None:
        self._key_id, self._secret = credentials.access_key_id, credentials.secret
        self._region = target.region_name

    def acl_header(self) -> str:
        """OSS's object ACL header."""
        return "x-oss-object-acl"

    def copy_header(self) -> str:
        """OSS's CopyObject source header."""
        return "x-oss-copy-source"

    def sign(self, request: ToSign, how: Signing) -> Signed:
        """Sign `request` as `how` asks (V4 by default, V1 on request)."""
        secret = WRONG_SECRET if how.wrong_secret else self._secret
        if how.where == "form":
            return self._form(request, how, secret)
        http = HttpRequest(request.method, request.url, headers=dict(request.headers),
                           body=request.body or None)
        now = datetime.datetime.now(datetime.timezone.utc)
        signed_at = now - datetime.timedelta(seconds=EXPIRED_BY_S) if how.expired else now
        ctx = SigningContext(product="oss", region=self._region, bucket=request.bucket,
                             key=request.key, request=http,
                             credentials=OssCredentials(self._key_id, secret),
                             signing_time=signed_at)
        if how.where == "query":
            ctx.auth_method_query = True
            ctx.expiration_time = signed_at + datetime.timedelta(seconds=how.expires)
            if how.expired and how.version == "v1":  # V1 URLs carry only the expiry
                ctx.expiration_time = now - datetime.timedelta(seconds=EXPIRED_BY_S)
        (SignerV1() if how.version == "v1" else SignerV4()).sign(ctx)
        return Signed(url=http.url, headers=list(http.headers.items()))

    def _form(self, request: ToSign, how: Signing, secret: str) -> Signed:
        """A PostObject form: key, OSSAccessKeyId, base64 policy, its V1 Signature, the file."""
        key = request.key or "conformance/post-object.txt"
        lifetime = -EXPIRED_BY_S if how.expired else how.expires
        expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            seconds=lifetime)
        document = {"expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "conditions": [{"bucket": request.bucket}, ["eq", "$key", key]]}
        policy = base64.b64encode(json.dumps(document).encode()).decode()
        signature = SignerV1()._calc_signature(  # noqa: SLF001 - the SDK's V1 HMAC
            access_key_secrect=secret, string_to_sign=policy)
        fields: list = [("key", key), ("OSSAccessKeyId", self._key_id), ("policy", policy),
                        ("Signature", signature), *request.headers]
        fields.append(("file", ("post-object.txt", FORM_FILE_BODY.encode(), "text/plain")))
        body, content_type = encode_multipart_formdata(fields)
        return Signed(url=request.url, body=body.decode("utf-8"), content_type=content_type)
