"""The official alibabacloud-oss-v2 SDK against the reference endpoint, V4 and V1 signatures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import alibabacloud_oss_v2 as oss
import pytest

from .helpers import OTHER_AK, OTHER_SK, ClientFactory, cors_rule, put_cors

VERSIONS = pytest.mark.parametrize("version", ["v4", "v1"])


def service_error(call: Callable[[], Any]) -> oss.exceptions.ServiceError:
    with pytest.raises(oss.exceptions.OperationError) as info:
        call()
    error = info.value.unwrap()
    assert isinstance(error, oss.exceptions.ServiceError)
    return error


def get_cors(client: oss.Client, bucket: str) -> oss.CORSConfiguration:
    return client.get_bucket_cors(oss.GetBucketCorsRequest(bucket=bucket)).cors_configuration


@VERSIONS
def test_put_get_delete_round_trip(make_client: ClientFactory, bucket: str, version: str) -> None:
    client = make_client(version)
    put_cors(client, bucket,
             cors_rule(["http://a.test"], ["PUT", "GET"], ["X-Oss-Meta-A"], ["ETag"], 60),
             cors_rule(["*"], ["GET"]))
    got = get_cors(client, bucket)
    assert got.response_vary is False  # OSS-57
    first, second = got.cors_rules
    assert (first.allowed_origins, first.allowed_methods) == (["http://a.test"], ["PUT", "GET"])
    assert first.allowed_headers == ["x-oss-meta-a"]  # OSS-59
    assert (first.expose_headers, first.max_age_seconds) == (["ETag"], 60)
    assert (second.allowed_headers, second.expose_headers, second.max_age_seconds) == (
        None, None, None)  # OSS-58
    result = client.delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=bucket))
    assert result.status_code == 204  # OSS-64
    error = service_error(lambda: get_cors(client, bucket))
    assert (error.status_code, error.code, error.message, error.ec) == (
        404, "NoSuchCORSConfiguration", "The CORS Configuration does not exist.", "0034-00000001")
    assert len(error.request_id) == 24  # OSS-1


def test_put_replaces_everything(make_client: ClientFactory, bucket: str) -> None:
    client = make_client()
    put_cors(client, bucket, cors_rule(["*"], ["GET"]), cors_rule(["*"], ["PUT"]), vary=True)
    assert get_cors(client, bucket).response_vary is True
    put_cors(client, bucket, cors_rule(["http://b.test"], ["POST"]))
    got = get_cors(client, bucket)
    assert len(got.cors_rules) == 1 and got.response_vary is False  # OSS-41


def test_delete_is_idempotent(make_client: ClientFactory, bucket: str) -> None:
    client = make_client("v1")
    for _ in range(2):
        result = client.delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=bucket))
        assert result.status_code == 204  # OSS-65
        assert len(result.request_id) == 24


@VERSIONS
def test_wrong_secret(make_client: ClientFactory, bucket: str, version: str) -> None:
    client = make_client(version, sk="not-the-secret")
    error = service_error(lambda: get_cors(client, bucket))
    assert (error.status_code, error.code) == (403, "SignatureDoesNotMatch")
    assert error.ec == ("0002-00000201" if version == "v4" else "0002-00000040")


@VERSIONS
def test_unknown_access_key(make_client: ClientFactory, bucket: str, version: str) -> None:
    error = service_error(lambda: get_cors(make_client(version, ak="AKIDNOBODY"), bucket))
    assert (error.status_code, error.code) == (403, "InvalidAccessKeyId")


def test_non_owner_is_access_denied(make_client: ClientFactory, bucket: str) -> None:
    other = make_client(ak=OTHER_AK, sk=OTHER_SK)
    error = service_error(lambda: get_cors(other, bucket))
    assert (error.status_code, error.code) == (403, "AccessDenied")  # OSS-54/62/67
    error = service_error(lambda: put_cors(other, bucket, cors_rule(["*"], ["GET"])))
    assert (error.status_code, error.code) == (403, "AccessDenied")


def test_missing_bucket(make_client: ClientFactory) -> None:
    client, missing = make_client(), "no-such-bucket"
    for call in (lambda: get_cors(client, missing),
                 lambda: put_cors(client, missing, cors_rule(["*"], ["GET"])),
                 lambda: client.delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=missing))):
        error = service_error(call)
        assert (error.status_code, error.code, error.message, error.ec) == (
            404, "NoSuchBucket", "The specified bucket does not exist.", "0015-00000101")


def test_rule_limit_through_the_sdk(make_client: ClientFactory, bucket: str) -> None:
    client = make_client()
    error = service_error(lambda: put_cors(client, bucket, *[cors_rule(["*"], ["GET"])] * 11))
    assert (error.status_code, error.code, error.message) == (
        400, "CORSRuleBeyondLimit", "The CORS Rules num is beyond limit.")


@VERSIONS
def test_option_object(make_client: ClientFactory, bucket: str, version: str) -> None:
    client = make_client(version)
    put_cors(client, bucket, cors_rule(["http://www.example.com"], ["PUT", "POST"], ["*"],
                                       ["x-oss-test1"], 100))
    result = client.option_object(oss.OptionObjectRequest(
        bucket=bucket, key="never-uploaded", origin="http://www.example.com",
        access_control_request_method="PUT", access_control_request_headers="x-oss-test2"))
    assert result.status_code == 200  # OSS-6
    assert (result.access_control_allow_origin, result.access_control_allow_methods,
            result.access_control_allow_headers, result.access_control_expose_headers,
            result.access_control_max_age) == (
        "http://www.example.com", "PUT, POST", "x-oss-test2", "x-oss-test1", 100)


def test_option_object_ignores_a_bad_access_key(make_client: ClientFactory, bucket: str) -> None:
    client = make_client(ak="AKIDNOBODY", sk="x")  # OSS-13: AccessForbidden, not InvalidAccessKeyId
    error = service_error(lambda: client.option_object(oss.OptionObjectRequest(
        bucket=bucket, key="k", origin="http://a.test", access_control_request_method="GET")))
    assert (error.status_code, error.code) == (403, "AccessForbidden")


def test_objects_and_bucket_lifecycle(make_client: ClientFactory, bucket: str) -> None:
    client = make_client()
    key = "dir/a b/中文.txt"
    client.put_object(oss.PutObjectRequest(bucket=bucket, key=key, body=b"hello",
                                           content_type="text/plain"))
    got = client.get_object(oss.GetObjectRequest(bucket=bucket, key=key))
    assert (got.body.content, got.content_type) == (b"hello", "text/plain")
    head = client.head_object(oss.HeadObjectRequest(bucket=bucket, key=key))
    assert head.content_length == 5
    error = service_error(lambda: client.delete_bucket(oss.DeleteBucketRequest(bucket=bucket)))
    assert (error.status_code, error.code) == (409, "BucketNotEmpty")
    client.delete_object(oss.DeleteObjectRequest(bucket=bucket, key=key))
    error = service_error(lambda: client.head_object(oss.HeadObjectRequest(bucket=bucket, key=key)))
    assert (error.status_code, error.code) == (404, "NoSuchKey")  # OSS-3: decoded from x-oss-err
    assert client.delete_bucket(oss.DeleteBucketRequest(bucket=bucket)).status_code == 204
    error = service_error(lambda: get_cors(client, bucket))
    assert error.code == "NoSuchBucket"
