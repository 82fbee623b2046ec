"""Named hostile inputs of issue 15 item 7 and their S3 kin: each a 4xx in the dialect's shape.

Each case once answered 500 with a traceback, read a body to EOF past the cap, or (aws-chunked
size -4) looped forever. The fuzz test (test_fuzz_reference.py) looks for new ones; these keep
the known ones fixed, with the exact code each dialect answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.reference import ReferenceServer

from .fuzz_strategies import AK, RawRequest
from .fuzz_wire import SK, check_shape, exchange, expect, recording, send

BUCKET = "hard-bucket"
CORS = (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
        b"</AllowedMethod>%s</CORSRule></CORSConfiguration>")
V4_SCOPE = {"oss": f"{AK}/20250101/cn-hangzhou/oss/aliyun_v4_request",
            "s3": f"{AK}/20250101/us-east-1/s3/aws4_request"}


@pytest.fixture(scope="module", params=["oss", "s3"])
def served(request: pytest.FixtureRequest) -> Iterator[ReferenceServer]:
    """A server of each dialect with BUCKET owned by AK; fails the test if a bug is logged."""
    with recording() as recorder, ReferenceServer(
            credentials={AK: SK}, dialect=request.param, body_deadline_s=1.5) as server:
        send(server, "PUT", f"/{BUCKET}/", signed=True)
        yield server
    assert not recorder.bugs, recorder.bugs[0].getMessage()


# --- issue 15 item 7 ----------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    f"OSSAccessKeyId={AK}&Signature=x&Expires=%C2%B2",
    f"OSSAccessKeyId={AK}&Signature=x&Expires={'9' * 5000}",
    f"x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential={V4_SCOPE['oss']}"
    "&x-oss-date=20250101T000000Z&x-oss-expires=%C2%B2",
])
def test_oss_presigned_urls_with_garbage_expiry_are_invalid_arguments(
        served: ReferenceServer, query: str) -> None:
    if served.dialect != "oss":
        pytest.skip("OSS signatures")
    expect(send(served, "GET", f"/{BUCKET}/obj.txt", query), 400, "InvalidArgument")


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0" encoding="x-bogus-1"?>' + CORS % b"",
    b'<?xml version="1.0" encoding="euc-jp"?>' + CORS % b"",
    CORS % (b"<MaxAgeSeconds>" + b"9" * 5000 + b"</MaxAgeSeconds>"),
    CORS % b"<MaxAgeSeconds>2147483648</MaxAgeSeconds>",
    CORS % b"<MaxAgeSeconds>\xc2\xb2</MaxAgeSeconds>",
])
def test_cors_bodies_with_odd_encodings_or_huge_numbers_are_malformed_xml(
        served: ReferenceServer, body: bytes) -> None:
    expect(send(served, "PUT", f"/{BUCKET}/", "cors", body=body, signed=True), 400,
           "MalformedXML")


@pytest.mark.parametrize("framing", ["chunk-negative", "chunk-unterminated", "chunk-garbage"])
def test_broken_chunk_framing_is_refused_without_reading_to_eof(
        served: ReferenceServer, framing: str) -> None:
    answer = send(served, "PUT", f"/{BUCKET}/k", body=b"a" * 100_000, framing=framing)
    expect(answer, 400, "InvalidArgument")


# --- the same class in the S3 dialect -----------------------------------------------------------

S3_QUERY = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={cred}&X-Amz-Date={date}"
            "&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00")


@pytest.mark.parametrize(("cred", "date", "expires", "status", "code"), [
    (V4_SCOPE["s3"], "20250101T000000Z", "%C2%B2", 400, "AuthorizationQueryParametersError"),
    (V4_SCOPE["s3"], "20250101T000000Z", "9" * 5000, 400, "AuthorizationQueryParametersError"),
    (V4_SCOPE["s3"], "2025-01-01", "60", 400, "AuthorizationQueryParametersError"),
    (V4_SCOPE["s3"], "99999999T999999Z", "60", 400, "AuthorizationQueryParametersError"),
    (f"{AK}/x/y", "20250101T000000Z", "60", 400, "AuthorizationQueryParametersError"),
    (f"{AK}/20250101/eu-west-9/s3/aws4_request", "20250101T000000Z", "60", 400,
     "AuthorizationQueryParametersError"),
])
def test_s3_presigned_garbage_is_an_authorization_query_error(
        served: ReferenceServer, cred: str, date: str, expires: str, status: int,
        code: str) -> None:
    if served.dialect != "s3":
        pytest.skip("SigV4 query")
    query = S3_QUERY.format(cred=cred, date=date, expires=expires)
    expect(send(served, "GET", f"/{BUCKET}/obj.txt", query), status, code)


@pytest.mark.parametrize(("authorization", "code"), [
    (f"AWS4-HMAC-SHA256 Credential={AK}/x/y, SignedHeaders=host, Signature=00",
     "AuthorizationHeaderMalformed"),
    ("AWS4-HMAC-SHA256 =,=,=", "AuthorizationHeaderMalformed"),
    (f"AWS4-HMAC-SHA256 Credential={V4_SCOPE['s3']}, SignedHeaders=host, Signature=00",
     "AccessDenied"),  # no valid x-amz-date
])
def test_s3_authorization_headers_with_bad_scopes_or_dates_are_4xx(
        served: ReferenceServer, authorization: str, code: str) -> None:
    if served.dialect != "s3":
        pytest.skip("SigV4 header")
    answer = send(served, "GET", f"/{BUCKET}/obj.txt", headers=[
        ("Authorization", authorization), ("x-amz-date", "garbage")])
    assert answer.status in (400, 403) and answer.code == code


# --- what http.server refuses before the endpoint sees a request --------------------------------

@pytest.mark.parametrize(("data", "status", "code"), [
    (b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 70_000 + b"\r\n\r\n", 400,
     "RequestHeaderSectionTooLarge"),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n", 400,
     "RequestHeaderSectionTooLarge"),
    (b"GET /" + b"k" * 70_000 + b" HTTP/1.1\r\n\r\n", 400, "KeyTooLongError"),
    (b"GET / HTTP/2.0\r\n\r\n", 400, "BadRequest"),  # http.server's 505
    (b"GET / HTTP/x\r\n\r\n", 400, "BadRequest"),
    (b"GET / a b HTTP/1.1\r\n\r\n", 400, "BadRequest"),
    (b"FOO / HTTP/1.1\r\n\r\n", 405, "MethodNotAllowed"),  # http.server's 501
    (b"PATCH /" + BUCKET.encode() + b"/k HTTP/1.1\r\n\r\n", 405, "MethodNotAllowed"),
    (b"PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "BadRequest"),
    (b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "BadRequest"),
    (b"PUT / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nab", 400, "InvalidArgument"),
    (b"PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "InvalidArgument"),
    (b"PUT / HTTP/1.1\r\nContent-Length: 1000000000000\r\n\r\n", 400, "EntityTooLarge"),
    (b"PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 400, "IncompleteBody"),
])
def test_protocol_garbage_is_answered_in_the_dialects_shape(
        served: ReferenceServer, data: bytes, status: int, code: str) -> None:
    method = data.split(b" ", 1)[0].decode()
    answer = exchange(served.port, method, data)
    check_shape(answer, served.dialect, RawRequest(method, "/", [], [], b"", "none", ""))
    expect(answer, status, code)


def test_a_coding_before_chunked_is_awss_501_not_implemented(served: ReferenceServer) -> None:
    data = b"PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    answer = exchange(served.port, "PUT", data)
    check_shape(answer, served.dialect, RawRequest(
        "PUT", "/", [], [("Transfer-Encoding", "gzip")], b"", "chunked", ""))
    expect(answer, 501, "NotImplemented")


def test_an_http_0_9_request_still_gets_a_status_line(served: ReferenceServer) -> None:
    answer = exchange(served.port, "GET", b"GET /\r\n\r\n")
    assert answer.status == 403  # anonymous ListBuckets, answered as HTTP/1.x
