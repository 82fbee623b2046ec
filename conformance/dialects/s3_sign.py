"""S3 request signing by botocore: SigV4 header and query (presigned URL), SigV2, POST forms.

An `expired` signature is made with botocore's signer at a timestamp in the past (the same
steps SigV4Auth.add_auth takes, with the request's context timestamp fixed instead of read
from the clock), a SigV2 URL with a negative lifetime, a SigV2 header through HmacV1Auth's
own Date hook, a form with a negative ExpiresIn: the SDK's own signing in every case, never
the signing maths written here.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import (
    SIGV4_TIMESTAMP,
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
)
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as AwsCredentials
from urllib3 import encode_multipart_formdata

from ..cases.model import Signing
from ..targets import Credentials, Target
from .sign_base import EXPIRED_BY_S, WRONG_SECRET, Signed, ToSign

FORM_FILE_BODY = "uploaded by the oss-cors conformance suite\n"


class S3Signer:
    """Signs probe requests as an S3 client would (botocore)."""

    name = "s3"

    def __init__(self, target: Target, credentials: Credentials) -> None:
        self._target = target
        self._key_id, self._secret = credentials.access_key_id, credentials.secret
        self._region = target.region_name
        self._clients: dict[str, Any] = {}  # secret -> a botocore client, for POST forms only

    def acl_header(self) -> str:
        """S3's canned ACL header."""
        return "x-amz-acl"

    def copy_header(self) -> str:
        """S3's CopyObject source header."""
        return "x-amz-copy-source"

    def sign(self, request: ToSign, how: Signing) -> Signed:
        """Sign `request` as `how` asks."""
        secret = WRONG_SECRET if how.wrong_secret else self._secret
        creds = AwsCredentials(self._key_id, secret)
        if how.where == "form":
            return self._form(request, how, secret)
        query = how.where == "query"
        aws = AWSRequest(method=request.method, url=request.url, headers=dict(request.headers),
                         data=b"" if query else request.body)
        if how.version == "v2":
            self._v2(aws, request, creds, how)
        elif query:
            _sign_at(S3SigV4QueryAuth(creds, "s3", self._region, expires=how.expires), aws,
                     how.expired)
        else:
            _sign_at(S3SigV4Auth(creds, "s3", self._region), aws, how.expired)
        return Signed(url=aws.url, headers=[(k, _text(v)) for k, v in aws.headers.items()])

    def _v2(self, aws: AWSRequest, request: ToSign, creds: AwsCredentials,
            how: Signing) -> None:
        """SigV2 (botocore's HmacV1): header, or a query URL valid for `expires` seconds."""
        if self._target.addressing == "virtual":  # SigV2 signs /bucket/key whatever the host
            aws.auth_path = f"/{request.bucket}{urlsplit(request.url).path}"
        if how.where == "query":
            lifetime = -EXPIRED_BY_S if how.expired else how.expires
            HmacV1QueryAuth(creds, expires=lifetime).add_auth(aws)
            return
        (_HmacV1AnHourAgo if how.expired else HmacV1Auth)(creds).add_auth(aws)

    def _form(self, request: ToSign, how: Signing, secret: str) -> Signed:
        """A POST form signed by botocore's generate_presigned_post (SigV4 policy)."""
        client = self._clients.get(secret)
        if client is None:
            client = self._clients[secret] = botocore.session.get_session().create_client(
                "s3", region_name=self._region, endpoint_url=self._target.endpoint,
                aws_access_key_id=self._key_id, aws_secret_access_key=secret,
                config=Config(signature_version="s3v4"))
        extra = {k: v for k, v in request.headers if k.lower() != "content-type"}
        conditions: list[Any] = [{k: v} for k, v in extra.items()]
        post = client.generate_presigned_post(
            Bucket=request.bucket, Key=request.key or "conformance/post-object.txt",
            Fields=dict(extra), Conditions=conditions,
            ExpiresIn=-EXPIRED_BY_S if how.expired else how.expires)
        fields: list[Any] = list(post["fields"].items())
        fields.append(("file", ("post-object.txt", FORM_FILE_BODY.encode(), "text/plain")))
        body, content_type = encode_multipart_formdata(fields)
        return Signed(url=request.url, body=body.decode("utf-8"), content_type=content_type)


class _HmacV1AnHourAgo(HmacV1Auth):
    """SigV2 stamped an hour back, through botocore's hook for the Date it signs.

    HmacV1QueryAuth overrides the same hook with its expiry.
    """

    def _get_date(self) -> str:
        return _http_date(_past())


def _sign_at(signer: SigV4Auth, aws: AWSRequest, expired: bool) -> None:
    """SigV4 signing by botocore, now or (expired) at a timestamp an hour ago."""
    if not expired:
        signer.add_auth(aws)
        return
    # add_auth's own steps, with the timestamp fixed where add_auth would read the clock.
    aws.context["timestamp"] = _past().strftime(SIGV4_TIMESTAMP)
    signer._modify_request_before_signing(aws)  # noqa: SLF001 - botocore's own step
    canonical = signer.canonical_request(aws)
    string_to_sign = signer.string_to_sign(aws, canonical)
    signer._inject_signature_to_request(  # noqa: SLF001 - botocore's own step
        aws, signer.signature(string_to_sign, aws))


def _past() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=EXPIRED_BY_S)


def _http_date(when: datetime.datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(when, usegmt=True)


def _text(value: Any) -> str:
    return bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) \
        else str(value)
