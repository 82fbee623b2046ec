"""OSS error responses the reference endpoint can send, with their exact wire strings.

Codes, messages and ECs the clauses of docs/spec/oss.md cite are byte-for-byte (typos included).
Where no source gives an EC, `UNKNOWN_EC` is sent: the `<EC>` element keeps OSS's error shape
without inventing a real-looking number.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN_EC = "0000-00000000"

CORS_DENIED_MESSAGE = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are "
    "not whitelisted by the resource's CORS spec."
)  # OSS-17, misspellings included


@dataclass
class OssError(Exception):
    """An error answer: HTTP status, OSS Code, Message and EC, plus extra body elements."""

    status: int
    code: str
    message: str
    ec: str = UNKNOWN_EC
    extra: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


# --- CORS (docs/spec/oss.md) ---------------------------------------------------------------------


def missing_origin() -> OssError:
    """OSS-10."""
    return OssError(400, "BadRequest", "Insufficient information. Origin request header needed.",
                    "0034-00000101")


def missing_request_method() -> OssError:
    """OSS-11."""
    message = "Insufficient information. Request Access-Control-Request-Method header needed."
    return OssError(400, "BadRequest", message, "0034-00000102")


def cors_not_configured() -> OssError:
    """OSS-15/16: same message as a mismatch; the distinct EC is third-party only."""
    return OssError(403, "AccessForbidden", CORS_DENIED_MESSAGE, "0003-00000601")


def cors_denied() -> OssError:
    """OSS-17."""
    return OssError(403, "AccessForbidden", CORS_DENIED_MESSAGE, "0003-00000602")


def no_such_cors() -> OssError:
    """OSS-61."""
    return OssError(404, "NoSuchCORSConfiguration", "The CORS Configuration does not exist.",
                    "0034-00000001")


def cors_rule_beyond_limit() -> OssError:
    """OSS-43."""
    return OssError(400, "CORSRuleBeyondLimit", "The CORS Rules num is beyond limit.",
                    "0034-00000006")


def malformed_xml() -> OssError:
    """OSS-51."""
    return OssError(400, "MalformedXML", "The XML you provided was not well-formed or did not "
                    "validate against our published schema.")


def invalid_digest() -> OssError:
    """OSS-52."""
    return OssError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")


def invalid_argument(message: str, ec: str = UNKNOWN_EC) -> OssError:
    """The code the reference picks wherever OSS's is not established (an [unc] clause)."""
    return OssError(400, "InvalidArgument", message, ec)


# --- Buckets and objects -------------------------------------------------------------------------


def no_such_bucket(bucket: str) -> OssError:
    """OSS-4/14/54."""
    return OssError(404, "NoSuchBucket", "The specified bucket does not exist.", "0015-00000101",
                    (("BucketName", bucket),))


def no_such_key(key: str) -> OssError:
    """GetObject/HeadObject on a missing key."""
    return OssError(404, "NoSuchKey", "The specified key does not exist.", "0026-00000001",
                    (("Key", key),))


def bucket_not_empty(bucket: str) -> OssError:
    """DeleteBucket while objects remain."""
    return OssError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.",
                    extra=(("BucketName", bucket),))


def bucket_already_exists(bucket: str) -> OssError:
    """PutBucket on a name another AccessKey owns."""
    return OssError(409, "BucketAlreadyExists", "The requested bucket name is not available. The "
                    "bucket namespace is shared by all users of the system. Please select a "
                    "different name and try again.", extra=(("BucketName", bucket),))


def invalid_bucket_name(bucket: str) -> OssError:
    """PutBucket with a name outside 3-63 of [a-z0-9-]."""
    return OssError(400, "InvalidBucketName", "The specified bucket is not valid.",
                    extra=(("BucketName", bucket),))


def entity_too_large() -> OssError:
    """A request body beyond what the in-memory store accepts."""
    return OssError(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")


def not_implemented(what: str) -> OssError:
    """A route the reference endpoint does not serve."""
    return OssError(501, "NotImplemented", f"The reference endpoint does not implement {what}.")


def method_not_allowed() -> OssError:
    """A method the resource does not serve (AWS and OSS: 405 MethodNotAllowed)."""
    return OssError(405, "MethodNotAllowed", "The specified method is not allowed against this "
                    "resource.")


def internal_error() -> OssError:
    """An unexpected failure inside the reference endpoint."""
    return OssError(500, "InternalError", "We encountered an internal error. Please try again.")


# --- Authentication ------------------------------------------------------------------------------


def anonymous_denied(scope: str) -> OssError:
    """A write or bucket operation without any signature."""
    return OssError(403, "AccessDenied", f"Anonymous user has no right to access this {scope}.",
                    "0003-00000001")


def not_owner() -> OssError:
    """OSS-54/62/67: a valid signature from an AccessKey that does not own the bucket."""
    return OssError(403, "AccessDenied", "You have no right to access this bucket.")


def invalid_access_key_id(access_key_id: str) -> OssError:
    """A signature naming an AccessKeyId the endpoint does not know."""
    return OssError(403, "InvalidAccessKeyId",
                    "The OSS Access Key Id you provided does not exist in our records.",
                    "0002-00000902", (("OSSAccessKeyId", access_key_id),))


def signature_mismatch(access_key_id: str, provided: str, string_to_sign: str,
                       ec: str) -> OssError:
    """A signature computed with another secret or over other request parts."""
    return OssError(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                    "match the signature you provided. Check your key and signing method.", ec,
                    (("OSSAccessKeyId", access_key_id), ("SignatureProvided", provided),
                     ("StringToSign", string_to_sign)))


def time_too_skewed() -> OssError:
    """A signing time more than 15 minutes away from the server clock."""
    return OssError(403, "RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too large.")


def invalid_policy(why: str) -> OssError:
    """PostObject: a policy that cannot be read or has expired."""
    return OssError(403, "AccessDenied", f"Invalid according to Policy: {why}")


def request_expired() -> OssError:
    """A presigned URL used after its expiry."""
    return OssError(403, "AccessDenied", "Request has expired.")
