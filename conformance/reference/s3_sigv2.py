"""Legacy S3 signatures (SigV2), recomputed by botocore's HmacV1Auth.

`Authorization: AWS <AK>:<sig>`, presigned `Signature=` URLs and `signature` POST forms. boto3
still produces them, e.g. generate_presigned_post for us-east-1 without a signature_version
setting. Only the signing time is supplied here (the received Date or Expires, which botocore
would otherwise take from the clock); the string to sign and the HMAC are botocore's.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from botocore.auth import HmacV1Auth
from botocore.awsrequest import HTTPHeaders
from botocore.credentials import Credentials

from . import s3_errors as err
from .messages import Request

MAX_SKEW_SECONDS = 15 * 60


class _AtReceivedTime(HmacV1Auth):
    """HmacV1Auth whose Date slot is the request's own, not the clock's."""

    def __init__(self, credentials: Credentials, date: str) -> None:
        super().__init__(credentials)
        self._date = date

    def _get_date(self) -> str:
        return self._date


def _secret(credentials: Mapping[str, str], access_key_id: str) -> str:
    secret = credentials.get(access_key_id)
    if secret is None:
        raise err.invalid_access_key_id(access_key_id)
    return secret


def _signed_headers(request: Request) -> HTTPHeaders:
    headers = HTTPHeaders()
    for name, value in request.headers:
        lower = name.lower()
        if lower in ("content-md5", "content-type") or lower.startswith("x-amz-"):
            headers[lower] = value
    return headers


def _auth_path(request: Request) -> str:
    # The canonical resource is /<bucket>/<key as sent> whatever the addressing style, with the
    # slash after the bucket even for bucket requests (botocore's auth_path).
    bucket = request.bucket
    if not bucket:
        return request.path
    virtual = request.host.lower().startswith(bucket + ".")
    rest = request.path[1:] if virtual else request.path[1:].partition("/")[2]
    return f"/{bucket}/{rest}"


def _verify(request: Request, access_key_id: str, secret: str, date: str,
            provided: str) -> None:
    signer = _AtReceivedTime(Credentials(access_key_id, secret), date)
    url = f"http://{request.host}{request.path}"
    if request.query:
        url += "?" + "&".join(f"{k}={v}" if v else k for k, v in request.query)
    headers = _signed_headers(request)
    expected = signer.get_signature(request.method, urlsplit(url), headers,
                                    auth_path=_auth_path(request))
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        string_to_sign = signer.canonical_string(request.method, urlsplit(url), headers,
                                                 auth_path=_auth_path(request))
        raise err.signature_mismatch(access_key_id, provided, string_to_sign, "")


def verify_header(request: Request, credentials: Mapping[str, str], header: str,
                  now: float) -> str:
    """The AccessKeyId of a valid `AWS <AK>:<signature>` header."""
    access_key_id, sep, provided = header.strip()[4:].rpartition(":")
    if not sep or not access_key_id:
        raise err.S3Error(400, "InvalidArgument", "AWS authorization header is invalid.  "
                          "Expected AwsAccessKeyId:signature")
    secret = _secret(credentials, access_key_id)
    amz_date, date = request.header("x-amz-date"), request.header("Date") or ""
    try:
        signed_at = parsedate_to_datetime(amz_date or date).timestamp()
    except (TypeError, ValueError, OverflowError, IndexError):
        raise err.access_denied("AWS authentication requires a valid Date or x-amz-date "
                                "header") from None
    if abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise err.time_too_skewed()
    # With x-amz-date present the Date slot is empty (S3 RESTAuthentication).
    _verify(request, access_key_id, secret, "" if amz_date else date, provided)
    return access_key_id


def verify_query(request: Request, credentials: Mapping[str, str], now: float) -> str:
    """The AccessKeyId of a valid `AWSAccessKeyId=…&Expires=…&Signature=…` URL."""
    params = request.params
    access_key_id, expires = params.get("AWSAccessKeyId", ""), params.get("Expires", "")
    secret = _secret(credentials, access_key_id)
    if not re.fullmatch(r"[0-9]{1,12}", expires):  # "²".isdigit() is true; int() is not
        raise err.access_denied("Query-string authentication requires the Signature, Expires "
                                "and AWSAccessKeyId parameters")
    if now > int(expires):
        raise err.request_expired(expires, str(int(now)), "")
    _verify(request, access_key_id, secret, expires, params.get("Signature", ""))
    return access_key_id


def verify_post(fields: Mapping[str, str], credentials: Mapping[str, str]) -> str:
    """The AccessKeyId whose secret signed a V2 POST form's policy."""
    access_key_id = fields.get("awsaccesskeyid", "")
    secret = _secret(credentials, access_key_id)
    policy, provided = fields.get("policy", ""), fields.get("signature", "")
    expected = HmacV1Auth(Credentials(access_key_id, secret)).sign_string(policy)
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise err.signature_mismatch(access_key_id, provided, policy, "")
    return access_key_id
