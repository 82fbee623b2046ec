"""SigV4 in the S3 dialect, verified against real boto3 clients over loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from botocore.exceptions import ClientError

from conformance.reference import ReferenceServer

from .s3_helpers import S3_AK, S3_SK, client, error_fields


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(credentials={S3_AK: S3_SK}, dialect="s3") as srv:
        yield srv


@pytest.fixture
def bucket(server: ReferenceServer) -> str:
    name = f"s3-auth-{time.monotonic_ns() % 10**9}"
    client(server).create_bucket(Bucket=name)
    return name


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def test_header_signed_object_round_trip(server: ReferenceServer, bucket: str) -> None:
    s3 = client(server)
    put = s3.put_object(Bucket=bucket, Key="dir/a b.txt", Body=b"hello")
    assert put["ETag"] == '"5d41402abc4b2a76b9719d911017c592"'
    assert s3.get_object(Bucket=bucket, Key="dir/a b.txt")["Body"].read() == b"hello"
    assert s3.head_object(Bucket=bucket, Key="dir/a b.txt")["ContentLength"] == 5
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["dir/a b.txt"]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == ["dir/a b.txt"]
    s3.delete_object(Bucket=bucket, Key="dir/a b.txt")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_wrong_secret_is_signature_does_not_match(server: ReferenceServer, bucket: str) -> None:
    with pytest.raises(ClientError) as info:
        client(server, secret="not-the-secret").list_objects_v2(Bucket=bucket)
    assert _code(info) == "SignatureDoesNotMatch"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_access_key_is_refused(server: ReferenceServer, bucket: str) -> None:
    with pytest.raises(ClientError) as info:
        client(server, ak="AKIAUNKNOWN").put_object(Bucket=bucket, Key="k", Body=b"x")
    assert _code(info) == "InvalidAccessKeyId"


def test_body_not_matching_its_signed_hash_is_refused(server: ReferenceServer,
                                                      bucket: str) -> None:
    s3 = client(server)

    def tamper(request, **_):  # after signing: the body no longer matches x-amz-content-sha256
        request.body = b"tampered"
        request.headers["Content-Length"] = "8"

    s3.meta.events.register("before-send.s3.PutObject", tamper)
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="k", Body=b"original")
    assert _code(info) == "XAmzContentSHA256Mismatch"


def test_presigned_get_and_put_are_verified(server: ReferenceServer, bucket: str) -> None:
    s3 = client(server)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p.txt"})
    assert requests.put(put_url, data=b"presigned", timeout=10).status_code == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p.txt"})
    got = requests.get(get_url, timeout=10)
    assert (got.status_code, got.content) == (200, b"presigned")


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_presigned_url_with_wrong_signature_is_refused(server: ReferenceServer,
                                                       bucket: str) -> None:
    url = client(server).generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "p.txt"})
    forged = _with_param(url, "X-Amz-Signature", "0" * 64)
    answer = requests.put(forged, data=b"x", timeout=10)
    assert answer.status_code == 403
    assert error_fields(answer)["Code"] == "SignatureDoesNotMatch"
    signed_by_other = client(server, secret="wrong").generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "p.txt"})
    assert requests.put(signed_by_other, data=b"x", timeout=10).status_code == 403


def test_expired_presigned_url_is_access_denied(server: ReferenceServer, bucket: str) -> None:
    url = client(server).generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "late.txt"}, ExpiresIn=1)
    time.sleep(2.1)
    answer = requests.put(url, data=b"x", timeout=10)
    fields = error_fields(answer)
    assert (answer.status_code, fields["Code"], fields["Message"]) == (
        403, "AccessDenied", "Request has expired")
    assert fields["X-Amz-Expires"] == "1"


def test_wrong_region_is_authorization_header_malformed(server: ReferenceServer,
                                                        bucket: str) -> None:
    import boto3
    from botocore.config import Config

    other = boto3.client("s3", endpoint_url=server.endpoint, region_name="eu-west-1",
                         aws_access_key_id=S3_AK, aws_secret_access_key=S3_SK,
                         config=Config(signature_version="s3v4",
                                       s3={"addressing_style": "path"}))
    with pytest.raises(ClientError) as info:
        other.list_objects_v2(Bucket=bucket)
    assert _code(info) == "AuthorizationHeaderMalformed"


def test_post_object_form_signed_with_sigv4(server: ReferenceServer, bucket: str) -> None:
    post = client(server).generate_presigned_post(bucket, "form/${filename}")
    answer = requests.post(post["url"], data=post["fields"],
                           files={"file": ("up.txt", b"posted")}, timeout=10)
    assert answer.status_code == 204, answer.text
    forged = {**post["fields"], "x-amz-signature": "0" * 64}
    refused = requests.post(post["url"], data=forged, files={"file": b"x"}, timeout=10)
    assert (refused.status_code, error_fields(refused)["Code"]) == (403, "SignatureDoesNotMatch")


def test_copy_and_multipart_upload(server: ReferenceServer, bucket: str) -> None:
    s3 = client(server)
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"source"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    parts = [s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=n,
                            Body=body)["ETag"] for n, body in ((1, b"ab"), (2, b"cd"))]
    s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(parts, 1)]})
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"abcd"
    with pytest.raises(ClientError) as info:
        s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=3, Body=b"late")
    assert _code(info) == "NoSuchUpload"


def _v2_client(server: ReferenceServer, secret: str = S3_SK):  # noqa: ANN202
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=S3_AK, aws_secret_access_key=secret,
                        config=Config(signature_version="s3", s3={"addressing_style": "path"},
                                      retries={"total_max_attempts": 1, "mode": "standard"}))


def test_sigv2_header_query_and_form_are_verified(server: ReferenceServer, bucket: str) -> None:
    s3 = _v2_client(server)
    s3.put_object(Bucket=bucket, Key="v2 key.txt", Body=b"legacy")
    assert s3.get_object(Bucket=bucket, Key="v2 key.txt")["Body"].read() == b"legacy"
    with pytest.raises(ClientError) as info:
        _v2_client(server, "wrong").list_objects(Bucket=bucket)
    assert _code(info) == "SignatureDoesNotMatch"
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "q.txt"})
    assert "AWSAccessKeyId=" in url
    assert requests.put(url, data=b"x", timeout=10).status_code == 200
    forged = _with_param(url, "Signature", "AAAA")
    assert requests.put(forged, data=b"x", timeout=10).status_code == 403
    post = s3.generate_presigned_post(bucket, "form.txt")
    assert "signature" in post["fields"]
    answer = requests.post(post["url"], data=post["fields"], files={"file": b"v2 form"},
                           timeout=10)
    assert answer.status_code == 204
    forged_form = {**post["fields"], "signature": "AAAA"}
    refused = requests.post(post["url"], data=forged_form, files={"file": b"x"}, timeout=10)
    assert refused.status_code == 403


def test_sigv4_header_without_content_sha256_is_refused(server: ReferenceServer,
                                                        bucket: str) -> None:
    s3 = client(server)

    def drop(request, **_):
        del request.headers["X-Amz-Content-SHA256"]

    s3.meta.events.register("before-send.s3.ListObjectsV2", drop)
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket=bucket)
    assert _code(info) == "InvalidRequest"
