"""The S3 dialect's CORS behaviour and error shapes, against both dialects of one server class.

Expected values are AWS's, as recorded in LocalStack's test_s3_cors.snapshot.json.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator

import pytest
import requests
from botocore.exceptions import ClientError

from conformance.reference import ReferenceServer

from .s3_helpers import S3_AK, S3_SK, VARY, client, error_fields, preflight

RULE = {"AllowedOrigins": ["https://app.test"], "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["x-amz-meta-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}
STAR = {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(credentials={S3_AK: S3_SK}, dialect="s3") as srv:
        yield srv


@pytest.fixture
def bucket(server: ReferenceServer) -> str:
    name = f"s3-cors-{time.monotonic_ns() % 10**9}"
    s3 = client(server)
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="obj.txt", Body=b"object")
    return name


def _put(server: ReferenceServer, bucket: str, *rules: dict) -> None:
    client(server).put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": list(rules)})


def test_granted_preflight_has_vary_credentials_and_lower_cased_headers(
        server: ReferenceServer, bucket: str) -> None:
    _put(server, bucket, RULE)
    answer = preflight(server, bucket, "https://app.test", "PUT", "X-Amz-Meta-A, x-amz-meta-b")
    assert answer.status_code == 200
    h = answer.headers
    assert h["Access-Control-Allow-Origin"] == "https://app.test"
    assert h["Access-Control-Allow-Credentials"] == "true"
    assert h["Vary"] == VARY
    assert h["Access-Control-Allow-Methods"] == "GET, PUT"
    assert h["Access-Control-Allow-Headers"] == "x-amz-meta-a, x-amz-meta-b"
    assert h["Access-Control-Max-Age"] == "300"
    assert "x-amz-request-id" in h and "x-amz-id-2" in h
    assert not [k for k in h if k.lower().startswith("x-oss-")]


def test_star_rule_answers_star_without_credentials_or_max_age(server: ReferenceServer,
                                                               bucket: str) -> None:
    _put(server, bucket, STAR)
    h = preflight(server, bucket, "http://anyone.test", "GET").headers
    assert h["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in h and "Access-Control-Max-Age" not in h


def test_refusals_use_aws_messages_and_elements(server: ReferenceServer, bucket: str) -> None:
    no_config = preflight(server, bucket, "https://app.test", "PUT")
    fields = error_fields(no_config)
    assert (no_config.status_code, fields["Code"]) == (403, "AccessForbidden")
    assert fields["Message"] == "CORSResponse: CORS is not enabled for this bucket."
    assert (fields["Method"], fields["ResourceType"]) == ("PUT", "BUCKET")
    assert "EC" not in fields and {"RequestId", "HostId"} <= fields.keys()
    _put(server, bucket, RULE)
    denied = preflight(server, bucket, "https://other.test", "PUT")
    fields = error_fields(denied)
    assert (denied.status_code, fields["Code"]) == (403, "AccessForbidden")
    assert "Access-Control-Request-Headers are not whitelisted" in fields["Message"]
    assert (fields["Method"], fields["ResourceType"]) == ("PUT", "OBJECT")
    assert "Vary" not in denied.headers and "Access-Control-Allow-Origin" not in denied.headers
    missing = preflight(server, "no-such-bucket-here", "https://app.test", None)
    fields = error_fields(missing)
    assert (missing.status_code, fields["Message"], fields["Method"]) == (
        403, "CORSResponse: Bucket not found", "OPTIONS")
    no_origin = preflight(server, bucket, None, "PUT")
    assert (no_origin.status_code, error_fields(no_origin)["Code"]) == (400, "BadRequest")


def test_actual_requests_follow_aws_matching(server: ReferenceServer, bucket: str) -> None:
    _put(server, bucket, {**RULE, "AllowedMethods": ["GET"]})
    url = f"{server.endpoint}/{bucket}/obj.txt"
    matched = requests.get(url, headers={"Origin": "https://app.test"}, timeout=10)
    assert matched.headers["Access-Control-Allow-Origin"] == "https://app.test"
    assert matched.headers["Vary"] == VARY
    assert matched.headers["Access-Control-Expose-Headers"] == "ETag"
    foreign = requests.get(url, headers={"Origin": "https://other.test"}, timeout=10)
    assert "Vary" not in foreign.headers and "Access-Control-Allow-Origin" not in foreign.headers
    # AWS evaluates Access-Control-Request-Method when an actual request carries it
    # (snapshot get-wrong-op): a GET asking for PUT gets nothing.
    asks_put = requests.get(url, headers={"Origin": "https://app.test",
                                          "Access-Control-Request-Method": "PUT"}, timeout=10)
    assert asks_put.status_code == 200
    assert "Access-Control-Allow-Origin" not in asks_put.headers


def test_the_oss_dialect_of_the_same_server_class_differs() -> None:
    with ReferenceServer(credentials={S3_AK: S3_SK}) as oss_server:
        assert oss_server.dialect == "oss"
        answer = preflight(oss_server, "missing-bucket", "https://app.test", "GET")
        assert (answer.status_code, answer.headers["Server"]) == (404, "AliyunOSS")
        assert "x-oss-request-id" in answer.headers and "x-amz-request-id" not in answer.headers


def test_rule_limit_is_100(server: ReferenceServer, bucket: str) -> None:
    rules = [{"AllowedOrigins": [f"http://r{i}.test"], "AllowedMethods": ["GET"]}
             for i in range(101)]
    _put(server, bucket, *rules[:100])
    with pytest.raises(ClientError) as info:
        _put(server, bucket, *rules)
    assert info.value.response["Error"]["Code"] == "InvalidRequest"
    assert len(client(server).get_bucket_cors(Bucket=bucket)["CORSRules"]) == 100


def test_rule_id_and_header_case_are_stored(server: ReferenceServer, bucket: str) -> None:
    _put(server, bucket, {**STAR, "ID": "first", "AllowedHeaders": ["X-Amz-Meta-Case"]})
    rule = client(server).get_bucket_cors(Bucket=bucket)["CORSRules"][0]
    assert (rule["ID"], rule["AllowedHeaders"]) == ("first", ["X-Amz-Meta-Case"])


def _raw_put(server: ReferenceServer, bucket: str, body: bytes, md5: str | None = "auto",
             ) -> ClientError:
    s3 = client(server)

    def swap(request, **_):
        request.data = body
        for name in [h for h in request.headers if h.lower().startswith(("content-md5",
                                                                           "x-amz-checksum",
                                                                           "x-amz-sdk-checksum"))]:
            del request.headers[name]
        if md5 == "auto":
            request.headers["Content-MD5"] = base64.b64encode(
                hashlib.md5(body).digest()).decode()
        elif md5 is not None:
            request.headers["Content-MD5"] = md5

    s3.meta.events.register_first("before-sign.s3.PutBucketCors", swap)
    with pytest.raises(ClientError) as info:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [STAR]})
    return info.value


@pytest.mark.parametrize(("body", "code", "message"), [
    (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
     b"</AllowedMethod></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>",
     "MalformedXML", None),
    (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH"
     b"</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest",
     "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"),
    (b"<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*.test</AllowedOrigin>"
     b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", "InvalidRequest",
     'AllowedOrigin "http://*.*.test" can not have more than one wildcard.'),
    (b"<CORSConfiguration></CORSConfiguration>", "MalformedXML", None),
])
def test_put_bucket_cors_validation(server: ReferenceServer, bucket: str, body: bytes,
                                    code: str, message: str | None) -> None:
    error = _raw_put(server, bucket, body).response["Error"]
    assert error["Code"] == code
    if message:
        assert error["Message"] == message


def test_put_bucket_cors_needs_a_right_integrity_header(server: ReferenceServer,
                                                        bucket: str) -> None:
    body = (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
            b"</AllowedMethod></CORSRule></CORSConfiguration>")
    assert _raw_put(server, bucket, body, md5=None).response["Error"]["Code"] == "InvalidRequest"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    assert _raw_put(server, bucket, body, md5=wrong).response["Error"]["Code"] == "BadDigest"


def test_get_bucket_cors_without_configuration(server: ReferenceServer, bucket: str) -> None:
    s3 = client(server)
    with pytest.raises(ClientError) as info:
        s3.get_bucket_cors(Bucket=bucket)
    assert info.value.response["Error"] == {
        "Code": "NoSuchCORSConfiguration", "Message": "The CORS configuration does not exist",
        "BucketName": bucket}
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
