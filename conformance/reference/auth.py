"""Who signed a request: header and presigned-URL signatures, V1 and V4 (OSS-74…79).

The policy around the pure computations of signing.py: which secret, which clock, which error.
"""

from __future__ import annotations

import calendar
import hmac
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from . import errors
from .messages import Request
from .signing import (
    V4_ALGORITHM,
    V1Credential,
    V4Credential,
    parse_authorization,
    parse_v4_scope,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
    v4_string_to_sign,
)

MAX_SKEW_SECONDS = 15 * 60
V1_MISMATCH_EC = "0002-00000040"
V4_MISMATCH_EC = "0002-00000201"
_SECONDS = re.compile(r"[0-9]{1,12}")


def _v4_time(timestamp: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(timestamp, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        raise errors.invalid_argument(f"Invalid x-oss-date {timestamp!r}.") from None


def _seconds(value: str, message: str) -> int:
    # ASCII digits only, and few of them: `"²".isdigit()` is true, and int() refuses 4,301 digits.
    if not _SECONDS.fullmatch(value):
        raise errors.invalid_argument(message)
    return int(value)


def _check_skew(signed_at: float, now: float) -> None:
    if abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise errors.time_too_skewed()


def _secret(credentials: Mapping[str, str], access_key_id: str) -> str:
    secret = credentials.get(access_key_id)
    if secret is None:
        raise errors.invalid_access_key_id(access_key_id)
    return secret


def _verify(expected: str, provided: str, access_key_id: str, string_to_sign: str, ec: str) -> None:
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise errors.signature_mismatch(access_key_id, provided, string_to_sign, ec)


def _check_scope(credential: V4Credential, region: str) -> None:
    if credential.product != "oss":
        raise errors.invalid_argument(f"Invalid signing product {credential.product!r}.")
    if credential.region != region:
        raise errors.invalid_argument(
            f"Invalid signing region {credential.region!r}: this endpoint is {region!r}.")


def _header_v1(request: Request, credential: V1Credential, secret: str, now: float) -> None:
    inp = request.signing_input()
    date = inp.headers.get("x-oss-date") or inp.headers.get("date")
    if date:
        try:
            signed_at = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, OverflowError, IndexError):
            signed_at = None  # an unparseable Date is simply part of what was signed
        if signed_at is not None:
            _check_skew(signed_at, now)
    string_to_sign = v1_string_to_sign(inp)
    _verify(v1_signature(secret, string_to_sign), credential.signature,
            credential.access_key_id, string_to_sign, V1_MISMATCH_EC)


def _header_v4(request: Request, credential: V4Credential, secret: str, region: str,
               now: float) -> None:
    inp = request.signing_input()
    timestamp = inp.headers.get("x-oss-date")
    if not timestamp:
        raise errors.invalid_argument("A V4 signature needs the x-oss-date header.")
    _check_skew(_v4_time(timestamp), now)
    _check_scope(credential, region)
    string_to_sign = v4_string_to_sign(
        timestamp, credential.scope, v4_canonical_request(inp, credential.additional_headers))
    _verify(v4_signature(secret, credential.date, credential.region, credential.product,
                         string_to_sign),
            credential.signature, credential.access_key_id, string_to_sign, V4_MISMATCH_EC)


def _query_v1(request: Request, credentials: Mapping[str, str], now: float) -> str:
    params = request.params
    access_key_id = params["OSSAccessKeyId"]
    secret = _secret(credentials, access_key_id)
    expires = params.get("Expires", "")
    if now > _seconds(expires, "Expires must be a Unix time in seconds."):
        raise errors.request_expired()
    string_to_sign = v1_string_to_sign(request.signing_input(), date=expires)
    _verify(v1_signature(secret, string_to_sign), params["Signature"], access_key_id,
            string_to_sign, V1_MISMATCH_EC)
    return access_key_id


def _query_v4(request: Request, credentials: Mapping[str, str], region: str, now: float) -> str:
    params = request.params
    try:
        access_key_id, date, scope_region, product = parse_v4_scope(params["x-oss-credential"])
    except (KeyError, ValueError):
        raise errors.invalid_argument("Invalid x-oss-credential.") from None
    secret = _secret(credentials, access_key_id)
    timestamp = params.get("x-oss-date", "")
    expires = _seconds(params.get("x-oss-expires", ""),
                       "x-oss-expires must be a number of seconds.")
    if now > _v4_time(timestamp) + expires:
        raise errors.request_expired()
    additional = tuple(h for h in params.get("x-oss-additional-headers", "").split(";") if h)
    credential = V4Credential(access_key_id, date, scope_region, product, additional,
                              params.get("x-oss-signature", ""))
    _check_scope(credential, region)
    string_to_sign = v4_string_to_sign(
        timestamp, credential.scope, v4_canonical_request(request.signing_input(), additional))
    _verify(v4_signature(secret, date, scope_region, product, string_to_sign),
            credential.signature, access_key_id, string_to_sign, V4_MISMATCH_EC)
    return access_key_id


def authenticate(request: Request, credentials: Mapping[str, str], region: str,
                 now: float) -> str | None:
    """The AccessKeyId whose valid signature the request carries, or None when it carries none.

    Raises errors.OssError for an unknown key (InvalidAccessKeyId), a wrong signature
    (SignatureDoesNotMatch), a signing time over 15 minutes off (RequestTimeTooSkewed), an expired
    presigned URL, or an Authorization header that is not an OSS signature (InvalidArgument).
    """
    header = request.header("Authorization")
    if header:
        try:
            credential = parse_authorization(header)
        except ValueError as exc:
            raise errors.invalid_argument(f"Authorization header is invalid: {exc}.") from None
        secret = _secret(credentials, credential.access_key_id)
        if isinstance(credential, V1Credential):
            _header_v1(request, credential, secret, now)
        else:
            _header_v4(request, credential, secret, region, now)
        return credential.access_key_id
    params = request.params
    if "OSSAccessKeyId" in params and "Signature" in params:
        return _query_v1(request, credentials, now)
    if params.get("x-oss-signature-version") == V4_ALGORITHM:
        return _query_v4(request, credentials, region, now)
    return None
