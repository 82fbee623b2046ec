"""PostObject: the browser form upload (`POST /` with multipart/form-data), signed in the form.

The form carries OSSAccessKeyId, a base64 policy and Signature = base64(HMAC-SHA1(secret,
policy)) instead of an Authorization header; browsers send it as a CORS simple request (OSS-86).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from . import errors
from .signing import v1_signature

MAX_FIELDS = 64


def parse_form(content_type: str, body: bytes) -> dict[str, bytes]:
    """The form's fields by name (the file part under "file"); malformed → 400."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise _malformed("the request is not multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise _malformed("the multipart body cannot be parsed")
    fields: dict[str, bytes] = {}
    for part in list(message.iter_parts())[:MAX_FIELDS]:
        name = _field_name(part)
        if name and name not in fields:
            fields[name] = part.get_payload(decode=True) or b""
    return fields


def authorize(fields: Mapping[str, bytes], credentials: Mapping[str, str], now: float) -> str:
    """The AccessKeyId whose secret signed the form's policy; raises the OSS error otherwise."""
    access_key_id = _text(fields, "OSSAccessKeyId")
    if not access_key_id:
        raise errors.anonymous_denied("bucket")
    secret = credentials.get(access_key_id)
    if secret is None:
        raise errors.invalid_access_key_id(access_key_id)
    policy, signature = _text(fields, "policy"), _text(fields, "Signature")
    if not hmac.compare_digest(v1_signature(secret, policy), signature):
        raise errors.signature_mismatch(access_key_id, signature, policy, errors.UNKNOWN_EC)
    _check_expiration(policy, now)
    return access_key_id


def _check_expiration(policy: str, now: float) -> None:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
        expires = datetime.strptime(document["expiration"], "%Y-%m-%dT%H:%M:%S.%fZ")
    except (binascii.Error, ValueError, KeyError, TypeError, RecursionError):
        raise errors.invalid_policy("the policy is not valid base64 JSON with an "
                                    "expiration") from None
    if expires.replace(tzinfo=timezone.utc).timestamp() < now:
        raise errors.invalid_policy("Policy expired.")


def _field_name(part: Message) -> str | None:
    disposition = part.get("Content-Disposition", "")
    if "form-data" not in disposition:
        return None
    value = part.get_param("name", header="content-disposition")
    return value if isinstance(value, str) else None


def _text(fields: Mapping[str, bytes], name: str) -> str:
    return fields.get(name, b"").decode("utf-8", "replace").strip()


def _malformed(why: str) -> errors.OssError:
    return errors.OssError(400, "MalformedPOSTRequest",
                           f"The body of your POST request is not well-formed multipart/form-data:"
                           f" {why}.")
