"""S3 error answers of the reference endpoint, with AWS's wire strings.

Sources: LocalStack's test_s3_cors.snapshot.json (recorded against AWS: the CORS refusals,
NoSuchCORSConfiguration, MalformedXML, InvalidRequest for a method), AWS's error-code list
(ErrorResponses), and Zenko CloudServer's bucketCors.js for the validation messages AWS's
recordings do not show (rule limit, wildcards, ExposeHeader).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import OssError

CORS_DENIED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are "
    "not whitelisted by the resource's CORS spec."
)  # AWS: "evalution" misspelt, "Request-Headers" spelt right (snapshot opt-wrong-origin)

MALFORMED_XML = ("The XML you provided was not well-formed or did not validate against our "
                 "published schema")  # no final period on AWS (snapshot put-cors-exc-empty)

# Messages AWS sends for the codes the shared operations raise in their OSS wording.
MESSAGES = {
    "NoSuchBucket": "The specified bucket does not exist",
    "NoSuchKey": "The specified key does not exist.",
    "AccessDenied": "Access Denied",
    "BucketNotEmpty": "The bucket you tried to delete is not empty",
    "InvalidAccessKeyId": "The AWS Access Key Id you provided does not exist in our records.",
    "InvalidBucketName": "The specified bucket is not valid.",
    "MalformedXML": MALFORMED_XML,
}
# OSS extras renamed or dropped in S3 bodies.
EXTRAS = {"OSSAccessKeyId": "AWSAccessKeyId"}


@dataclass
class S3Error(OssError):
    """An error already in S3's words: the layer sends it as is."""


def translate(err: OssError) -> OssError:
    """An OSS-worded error from the shared operations, reworded as AWS words it."""
    if isinstance(err, S3Error):
        return err
    extra = tuple((EXTRAS.get(k, k), v) for k, v in err.extra)
    return S3Error(err.status, err.code, MESSAGES.get(err.code, err.message), extra=extra)


# --- CORS preflight (snapshot test_cors_http_options_*, test_cors_match_*) ----------------------


def preflight_forbidden(message: str, method: str, resource: str) -> S3Error:
    """403 AccessForbidden with AWS's <Method> and <ResourceType> elements."""
    return S3Error(403, "AccessForbidden", message,
                   extra=(("Method", method), ("ResourceType", resource)))


def missing_origin() -> S3Error:
    """Snapshot options-no-origin: same words as OSS, no Method element."""
    return S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.")


# --- PutBucketCors / GetBucketCors --------------------------------------------------------------


def malformed_xml(detail: str | None = None) -> S3Error:
    """400 MalformedXML (snapshot put-cors-exc-empty)."""
    return S3Error(400, "MalformedXML", detail or MALFORMED_XML)


def invalid_request(message: str) -> S3Error:
    """400 InvalidRequest, AWS's code for a well-formed but refused configuration."""
    return S3Error(400, "InvalidRequest", message)


def no_such_cors(bucket: str) -> S3Error:
    """Snapshot get-cors-no-set: lower-case "configuration", no period, with BucketName."""
    return S3Error(404, "NoSuchCORSConfiguration", "The CORS configuration does not exist",
                   extra=(("BucketName", bucket),))


def missing_integrity() -> S3Error:
    """PutBucketCors without Content-MD5 or x-amz-checksum-* (S3 PutBucketCors: required)."""
    return S3Error(400, "InvalidRequest", "Missing required header for this request: Content-MD5")


def invalid_digest(value: str) -> S3Error:
    """A Content-MD5 that is not the base64 of 16 bytes.

    Wire form recorded from AWS in versity/versitygw#1526, the value echoed in <Content-MD5>.
    """
    return S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.",
                   extra=(("Content-MD5", value),))


def bad_digest(what: str = "Content-MD5") -> S3Error:
    """A well-formed digest that is not the body's (AWS's words, quoted in many SDK issues)."""
    return S3Error(400, "BadDigest", f"The {what} you specified did not match what we received.")


def too_big() -> S3Error:
    """A configuration body over 64 KB."""
    return S3Error(400, "MaxMessageLengthExceeded", "Your request was too big.")


# --- Authentication -----------------------------------------------------------------------------


def signature_mismatch(access_key_id: str, provided: str, string_to_sign: str,
                       canonical: str) -> S3Error:
    """403 SignatureDoesNotMatch with the diagnostics AWS includes."""
    return S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                   "match the signature you provided. Check your key and signing method.",
                   extra=(("AWSAccessKeyId", access_key_id), ("StringToSign", string_to_sign),
                          ("SignatureProvided", provided), ("CanonicalRequest", canonical)))


def invalid_access_key_id(access_key_id: str) -> S3Error:
    """An AccessKeyId the endpoint does not know."""
    return S3Error(403, "InvalidAccessKeyId", MESSAGES["InvalidAccessKeyId"],
                   extra=(("AWSAccessKeyId", access_key_id),))


def request_expired(expires: str, server_time: str, seconds: str) -> S3Error:
    """403 AccessDenied "Request has expired" for a presigned URL used too late."""
    extra = ((("X-Amz-Expires", seconds),) if seconds else ()) + (
        ("Expires", expires), ("ServerTime", server_time))
    return S3Error(403, "AccessDenied", "Request has expired", extra=extra)


def time_too_skewed() -> S3Error:
    """A signing time more than 15 minutes from the server clock."""
    return S3Error(403, "RequestTimeTooSkewed",
                   "The difference between the request time and the current time is too large.")


def header_malformed(message: str) -> S3Error:
    """400 AuthorizationHeaderMalformed."""
    return S3Error(400, "AuthorizationHeaderMalformed",
                   f"The authorization header is malformed; {message}")


def query_malformed(message: str) -> S3Error:
    """400 AuthorizationQueryParametersError."""
    return S3Error(400, "AuthorizationQueryParametersError", message)


def access_denied(message: str = "Access Denied") -> S3Error:
    """403 AccessDenied."""
    return S3Error(403, "AccessDenied", message)


def sha256_mismatch() -> S3Error:
    """An x-amz-content-sha256 that is not the body's hash."""
    return S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header "
                   "does not match what was computed.")
