"""The S3 dialect (botocore SigV4) against real s3rver and moto processes on 127.0.0.1."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from conformance.cases.model import CorsConfig, CorsRule
from conformance.dialects import make_dialect
from conformance.dialects.s3 import S3Dialect, from_botocore, to_botocore
from conformance.errors import ProvisioningError
from conformance.targets import Credentials, Target, ephemeral_bucket_name
from tests.targets import servers

# Three rules in a meaningful order, optional members present and absent; response_vary is
# OSS-only and must be dropped on the way in and come back as None.
MULTI = CorsConfig(rules=(
    CorsRule(allowed_origins=("http://one.test", "http://www.example.com"),
             allowed_methods=("PUT", "GET"), allowed_headers=("x-amz-meta-a", "content-type"),
             expose_headers=("ETag", "x-amz-meta-b"), max_age_seconds=60),
    CorsRule(allowed_origins=("http://*.example.org",), allowed_methods=("DELETE",),
             allowed_headers=("*",)),
    CorsRule(allowed_origins=("*",), allowed_methods=("GET", "HEAD"), max_age_seconds=30),
), response_vary=True)
STORED = replace(MULTI, response_vary=None)


@pytest.fixture(scope="module", params=["s3rver", "moto"])
def server(request: pytest.FixtureRequest):
    start = {"s3rver": servers.s3rver, "moto": servers.moto_server}[request.param]
    with start() as srv:
        yield srv


@pytest.fixture
def dialect(server: servers.Server):
    d = S3Dialect(server.target(), server.credentials, timeout=10)
    yield d
    d.close()


def test_a_multi_rule_configuration_round_trips(dialect: S3Dialect) -> None:
    bucket = ephemeral_bucket_name("s3dialect")
    assert dialect.create_bucket(bucket).ok
    try:
        assert dialect.put_object(bucket, "dir/object.txt", b"hello").ok
        assert dialect.put_cors(bucket, MULTI).ok
        result, seen = dialect.get_cors(bucket)
        assert result.status == 200
        assert seen == STORED
        assert dialect.delete_cors(bucket).ok
        result, seen = dialect.get_cors(bucket)
        assert (result.status, result.code, seen) == (404, "NoSuchCORSConfiguration", None)
        assert dialect.delete_object(bucket, "dir/object.txt").ok
    finally:
        assert dialect.delete_bucket(bucket).ok
    assert dialect.delete_bucket(bucket).code == "NoSuchBucket"


def test_the_log_records_the_signed_put_bucket_cors_with_its_xml(
        dialect: S3Dialect, server: servers.Server) -> None:
    bucket = ephemeral_bucket_name("s3dialect")
    assert dialect.create_bucket(bucket).ok
    try:
        assert dialect.put_cors(bucket, MULTI).ok
    finally:
        assert dialect.delete_bucket(bucket).ok
    ops = [(ex.method, ex.target) for ex in dialect.log]
    assert ops[:2] == [("PUT", f"/{bucket}"), ("PUT", f"/{bucket}?cors")]
    put = dialect.log[1]
    assert put.url == f"{server.endpoint}/{bucket}?cors"
    assert put.status == 200 and put.reason and put.elapsed_ms > 0
    body = put.request_body
    assert body.startswith("<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")
    assert body.count("<CORSRule>") == 3
    assert "<AllowedOrigin>http://*.example.org</AllowedOrigin>" in body
    assert "<MaxAgeSeconds>30</MaxAgeSeconds>" in body
    assert "ResponseVary" not in body  # S3 has no such element
    headers = dict(put.request_headers)
    key = server.credentials.access_key_id
    assert headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={key}/")
    assert "x-amz-checksum-crc32" in headers  # PutBucketCors requires a checksum
    assert "PUT /" in put.transcript() and "HTTP/1.1 200" in put.transcript()


def test_service_errors_are_call_results_with_status_code_and_message(
        dialect: S3Dialect) -> None:
    missing = ephemeral_bucket_name("s3dialect-missing")
    result, seen = dialect.get_cors(missing)
    assert (result.status, result.code, seen) == (404, "NoSuchBucket", None)
    assert result.message
    assert dialect.log[-1].status == 404 and b"NoSuchBucket" in dialect.log[-1].body


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_transport_error_is_a_one_line_provisioning_error_and_is_logged() -> None:
    target = Target(name="nowhere", endpoint=f"http://127.0.0.1:{_closed_port()}", dialect="s3",
                    region="us-east-1")
    dialect = S3Dialect(target, Credentials("AKID", "secret-value"), timeout=2)
    with pytest.raises(ProvisioningError) as info:
        dialect.create_bucket("some-bucket")
    text = str(info.value)
    assert text.startswith("CreateBucket failed: Could not connect to the endpoint URL")
    assert "\n" not in text
    assert [ex.error for ex in dialect.log] == [info.value.message]
    dialect.close()


def test_make_dialect_builds_the_s3_dialect() -> None:
    target = Target(endpoint="http://127.0.0.1:9", dialect="s3", region="us-east-1")
    dialect = make_dialect(target, Credentials("AKID", "secret-value"))
    assert isinstance(dialect, S3Dialect) and dialect.name == "s3" and dialect.log == []
    dialect.close()


def test_the_botocore_shape_omits_unset_members_and_maps_back() -> None:
    shape = to_botocore(MULTI)
    assert shape["CORSRules"][1] == {"AllowedOrigins": ["http://*.example.org"],
                                     "AllowedMethods": ["DELETE"], "AllowedHeaders": ["*"]}
    assert "ResponseVary" not in str(shape)
    shape["CORSRules"][0]["ID"] = "rule-ids-are-kept"
    read = from_botocore(shape)
    assert read.rules[0].id == "rule-ids-are-kept"  # a GetBucketCors check can compare it
    assert CorsConfig((replace(read.rules[0], id=None), *read.rules[1:])) == STORED
    assert to_botocore(read)["CORSRules"][0]["ID"] == "rule-ids-are-kept"
    assert from_botocore({}) == CorsConfig(rules=())
