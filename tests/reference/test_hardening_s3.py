"""S3-dialect garbage behind a valid signature: part numbers, copy sources, aws-chunked framing,
POST policies, keys and header values that cannot go back out as they came in.
"""

from __future__ import annotations

import base64
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conformance.reference import ReferenceServer

from .fuzz_strategies import AK
from .fuzz_wire import SK, expect, send

BUCKET = "hard-bucket"


@pytest.fixture(scope="module")
def s3() -> Iterator[ReferenceServer]:
    with ReferenceServer(credentials={AK: SK}, dialect="s3", body_deadline_s=1.5) as server:
        send(server, "PUT", f"/{BUCKET}/", signed=True)
        send(server, "PUT", f"/{BUCKET}/obj.txt", body=b"x", signed=True)
        yield server


def _upload_id(server: ReferenceServer) -> str:
    answer = send(server, "POST", f"/{BUCKET}/big", "uploads", signed=True)
    return ET.fromstring(answer.body).findtext("{*}UploadId") or ""


@pytest.mark.parametrize("number", ["%C2%B2", "0", "10001", "-1", "9" * 5000, "", "1e3"])
def test_part_numbers_outside_1_to_10000_in_ascii_digits_are_invalid(
        s3: ReferenceServer, number: str) -> None:
    query = f"partNumber={number}&uploadId={_upload_id(s3)}"
    expect(send(s3, "PUT", f"/{BUCKET}/big", query, body=b"p", signed=True), 400,
           "InvalidArgument")


def test_a_completion_naming_garbage_part_numbers_is_an_invalid_part(s3: ReferenceServer) -> None:
    body = (b"<CompleteMultipartUpload><Part><PartNumber>\xc2\xb2</PartNumber><ETag>x</ETag>"
            b"</Part><Part><PartNumber>" + b"9" * 5000 + b"</PartNumber></Part>"
            b"</CompleteMultipartUpload>")
    answer = send(s3, "POST", f"/{BUCKET}/big", f"uploadId={_upload_id(s3)}", body=body,
                  signed=True)
    expect(answer, 400, "InvalidPart")


@pytest.mark.parametrize(("source", "status", "code"), [
    ("/", 400, "InvalidArgument"), ("//", 400, "InvalidArgument"),
    (BUCKET, 400, "InvalidArgument"), ("%FF/%FE", 404, "NoSuchBucket"),
    (f"/{BUCKET}/absent", 404, "NoSuchKey"),
])
def test_copy_sources_that_name_no_object_are_4xx(s3: ReferenceServer, source: str,
                                                  status: int, code: str) -> None:
    answer = send(s3, "PUT", f"/{BUCKET}/copy", headers=[("x-amz-copy-source", source)],
                  signed=True)
    expect(answer, status, code)


@pytest.mark.parametrize(("body", "code"), [
    (b"-4\r\n\r\n", "InvalidRequest"),  # once an endless loop: the position went backwards
    (b"-1\r\nabc", "InvalidRequest"), (b"zz\r\nabc\r\n0\r\n\r\n", "InvalidRequest"),
    (b"ffffffffffffffff\r\nabc\r\n", "IncompleteBody"), (b"5\r\nhelloXX0\r\n\r\n",
                                                          "InvalidRequest"),
    (b"3\r\nab", "IncompleteBody"), (b"", "IncompleteBody"),
])
def test_aws_chunked_garbage_is_a_400(s3: ReferenceServer, body: bytes, code: str) -> None:
    answer = send(s3, "PUT", f"/{BUCKET}/chunked", headers=[
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")], body=body, signed=True)
    expect(answer, 400, code)
    assert answer.seconds < 2


def test_a_decoded_length_that_is_not_the_payloads_is_an_incomplete_body(
        s3: ReferenceServer) -> None:
    answer = send(s3, "PUT", f"/{BUCKET}/chunked", headers=[
        ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "9"),
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")],
        body=b"5\r\nhello\r\n0\r\n\r\n", signed=True)
    expect(answer, 400, "IncompleteBody")


def _form(server: ReferenceServer, policy: str, key: str = "k") -> bytes:
    """A SigV4 POST form whose signature over `policy` is valid, as botocore computes it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    signer = SigV4Auth(Credentials(AK, SK), "s3", server.region)
    carrier = AWSRequest(method="POST", url="http://reference/")
    carrier.context["timestamp"] = stamp
    fields = {"key": key, "policy": policy, "x-amz-algorithm": "AWS4-HMAC-SHA256",
              "x-amz-credential": f"{AK}/{stamp[:8]}/{server.region}/s3/aws4_request",
              "x-amz-date": stamp, "x-amz-signature": signer.signature(policy, carrier)}
    parts = [f'--B\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'
             for n, v in fields.items()]
    parts.append('--B\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--B--\r\n')
    return "".join(parts).encode()


def _policy(document: object) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


@pytest.mark.parametrize("policy", [
    "!!!", base64.b64encode(b"[" * 5000).decode(), _policy([1]), _policy({"expiration": 5}),
    _policy({"expiration": "2999-01-01T00:00:00Z", "conditions": 5}),
    _policy({"expiration": "2999-01-01T00:00:00Z",
             "conditions": [["content-length-range", "a", []]]}),
    _policy({"expiration": "2999-01-01T00:00:00Z",
             "conditions": [["content-length-range", 0, "9" * 5000]]}),
    _policy({"expiration": "2999-01-01T00:00:00Z", "conditions": [[1, 2]]}),
])
def test_post_policies_that_are_not_policies_are_invalid_policy_documents(
        s3: ReferenceServer, policy: str) -> None:
    answer = send(s3, "POST", f"/{BUCKET}/", body=_form(s3, policy), signed=False,
                  headers=[("Content-Type", "multipart/form-data; boundary=B")])
    expect(answer, 400, "InvalidPolicyDocument")


def test_a_key_with_a_line_break_cannot_inject_a_response_header(s3: ReferenceServer) -> None:
    policy = _policy({"expiration": "2999-01-01T00:00:00Z", "conditions": [
        ["starts-with", "$key", ""], {"bucket": BUCKET}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        ["starts-with", "$x-amz-credential", ""], ["starts-with", "$x-amz-date", ""]]})
    key = "a\r\nInjected: 1 \u00e9\u4e2d"
    answer = send(s3, "POST", f"/{BUCKET}/", body=_form(s3, policy, key),
                  headers=[("Content-Type", "multipart/form-data; boundary=B")])
    assert answer.status == 204 and "Injected" not in answer.headers
    # CR, LF and what latin-1 cannot carry leave percent-encoded; latin-1 itself goes as is.
    assert answer.headers["Location"] == f"/{BUCKET}/a%0D%0AInjected: 1 \u00e9%E4%B8%AD"


@pytest.mark.parametrize("key", ["%FF%FE", "%00%01%0B", "%EF%BF%BE", "%ED%A0%80"])
def test_keys_of_any_bytes_are_stored_and_listed_as_well_formed_xml(
        s3: ReferenceServer, key: str) -> None:
    assert send(s3, "PUT", f"/{BUCKET}/{key}", body=b"v", signed=True).status == 200
    listing = send(s3, "GET", f"/{BUCKET}/", signed=True)
    assert listing.status == 200
    ET.fromstring(listing.body)  # control characters and U+FFFE leave as U+FFFD
    expect(send(s3, "GET", f"/{BUCKET}/{key}x", signed=True), 404, "NoSuchKey")


def test_repeated_query_parameters_take_the_first_and_stay_4xx(s3: ReferenceServer) -> None:
    query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=%C2%B2&X-Amz-Expires=60"
             f"&X-Amz-Credential={AK}/20250101/us-east-1/s3/aws4_request&X-Amz-Date=x"
             "&X-Amz-Date=20250101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=0")
    expect(send(s3, "GET", f"/{BUCKET}/obj.txt", query), 400,
           "AuthorizationQueryParametersError")


@pytest.mark.parametrize("host", ["[", "a]", "[::1", "x:99999999", "a:b:c"])
def test_a_signed_request_with_a_host_no_url_can_hold_is_an_invalid_argument(
        s3: ReferenceServer, host: str) -> None:
    """botocore rebuilds the signed URL from Host: "[" once raised "Invalid IPv6 URL" (500)."""
    answer = send(s3, "GET", f"/{BUCKET}/obj.txt", headers=[("Host", host)], signed=True)
    expect(answer, 400, "InvalidArgument")
