"""OSS request signing by alibabacloud-oss-v2: V4 and V1, as a header or a presigned query.

The SDK's signers take the signing time and the expiration as inputs (SigningContext), so an
`expired` URL is the SDK's own presign at a time an hour ago; nothing here computes a signature.
"""

from __future__ import annotations

import datetime

from alibabacloud_oss_v2.signer import SignerV1, SignerV4
from alibabacloud_oss_v2.types import Credentials as OssCredentials
from alibabacloud_oss_v2.types import HttpRequest, SigningContext

from ..cases.model import Signing
from ..targets import Credentials, Target
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
