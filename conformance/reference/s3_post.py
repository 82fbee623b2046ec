"""S3 PostObject authorisation: a SigV4-signed policy in a multipart/form-data upload.

The form carries key, policy, x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature
(what botocore's generate_presigned_post returns). The signature over the base64 policy is
recomputed with botocore's SigV4 signer; the policy's expiration and conditions are then checked
(S3 "Creating a POST policy").
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from . import s3_errors as err
from . import s3_sigv2
from .messages import Request
from .post_object import parse_form
from .s3_auth import ALGORITHM, parse_scope

# Fields every form may carry without a policy condition.
_UNCONDITIONED = {"policy", "x-amz-signature", "file", "awsaccesskeyid", "signature"}


def authorize_post(request: Request, bucket: str, credentials: Mapping[str, str], region: str,
                   now: float) -> tuple[dict[str, bytes], str]:
    """(fields by lower-case name, signer's AccessKeyId); raises the S3 error otherwise."""
    raw = parse_form(request.header("Content-Type") or "", request.body)
    fields = {name.lower(): value for name, value in raw.items()}
    text = {name: value.decode("utf-8", "replace") for name, value in fields.items()
            if name != "file"}
    if "x-amz-algorithm" not in text and "awsaccesskeyid" in text:
        signer_id = s3_sigv2.verify_post(text, credentials)  # a legacy SigV2 form
        _check_form(text, fields, bucket, now)
        return fields, signer_id
    if text.get("x-amz-algorithm") != ALGORITHM:
        raise err.access_denied("Anonymous access is forbidden for this operation")
    try:
        scope = parse_scope(text.get("x-amz-credential", ""))
    except ValueError:
        raise err.S3Error(400, "InvalidArgument", "Invalid x-amz-credential.") from None
    secret = credentials.get(scope.access_key_id)
    if secret is None:
        raise err.invalid_access_key_id(scope.access_key_id)
    policy, provided = text.get("policy", ""), text.get("x-amz-signature", "")
    signer = SigV4Auth(Credentials(scope.access_key_id, secret), "s3", scope.region)
    carrier = AWSRequest(method="POST", url="http://reference/")
    carrier.context["timestamp"] = text.get("x-amz-date", "")
    expected = signer.signature(policy, carrier)
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise err.signature_mismatch(scope.access_key_id, provided, policy, "")
    if scope.region != region:
        raise err.S3Error(400, "AuthorizationQueryParametersError",
                          f"the region '{scope.region}' is wrong; expecting '{region}'")
    _check_form(text, fields, bucket, now)
    return fields, scope.access_key_id


def _check_form(text: dict[str, str], fields: Mapping[str, bytes], bucket: str,
                now: float) -> None:
    _check_policy(text.get("policy", ""), {**text, "bucket": bucket},
                  len(fields.get("file", b"")), now)
    if not text.get("key"):
        raise err.S3Error(400, "InvalidArgument", "Bucket POST must contain a field named "
                          "'key'.  If it is specified, please check the order of the fields.")


def _invalid(why: str) -> err.S3Error:
    return err.access_denied(f"Invalid according to Policy: {why}")


def _check_policy(policy: str, fields: dict[str, str], size: int, now: float) -> None:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
        expiration = document["expiration"]
        conditions = document.get("conditions", [])
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise err.S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if not isinstance(conditions, list):
        raise err.S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'conditions' "
                          "value.")
    try:
        expires = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        expires_at = expires.replace(tzinfo=expires.tzinfo or timezone.utc).timestamp()
    except (AttributeError, ValueError, OverflowError):
        raise err.S3Error(400, "InvalidPolicyDocument",
                          "Invalid Policy: Invalid 'expiration' value.") from None
    if expires_at < now:
        raise _invalid("Policy expired.")
    covered = {"bucket"}
    for condition in conditions:
        covered |= _check_condition(condition, fields, size)
    extra = sorted(n for n in fields if n not in covered and n not in _UNCONDITIONED
                   and not n.startswith("x-ignore-"))
    if extra:
        raise _invalid("Extra input fields: " + ", ".join(extra))


def _check_condition(condition: object, fields: dict[str, str], size: int) -> set[str]:
    """The field names a condition covers; raises when the form breaks it."""
    failed = _invalid("Policy Condition failed: " + json.dumps(condition))
    if isinstance(condition, dict):
        for name, value in condition.items():
            if fields.get(name.lower()) != value:
                raise failed
        return {n.lower() for n in condition}
    if not isinstance(condition, list) or len(condition) != 3:
        raise err.S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition.")
    op, subject, value = condition
    if op == "content-length-range":
        low, high = _bound(subject), _bound(value)
        if not low <= size <= high:
            raise err.S3Error(400, "EntityTooLarge" if size > high else "EntityTooSmall",
                              "Your proposed upload is outside the content-length-range of "
                              "the policy.")
        return set()
    name = str(subject).lstrip("$").lower()
    actual = fields.get(name, "")
    if (op == "eq" and actual != value) or (op == "starts-with" and
                                            not actual.startswith(str(value))):
        raise failed
    return {name}


def _bound(value: object) -> int:
    """A content-length-range bound: a JSON integer, or a string of at most 20 ASCII digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,20}", value):
        return int(value)
    raise err.S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid "
                      "content-length-range condition.")
