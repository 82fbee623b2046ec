"""CORS on actual (non-OPTIONS) requests: any status, never a CORS-made 403 (OSS-55, 68…72, 85)."""

from __future__ import annotations

import base64

import alibabacloud_oss_v2 as oss
import pytest
import requests

from conformance.reference import ReferenceServer

from .helpers import ClientFactory, cors_headers, cors_rule, put_cors, signed

STAR_SET = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, HEAD, PUT, POST",
    "access-control-expose-headers": "etag, x-oss-request-id",
    "access-control-max-age": "0",
}  # the PostObject capture of OSS-70


@pytest.fixture
def star_bucket(make_client: ClientFactory, bucket: str, server: ReferenceServer) -> str:
    client = make_client()
    put_cors(client, bucket, cors_rule(["*"], ["GET", "HEAD", "PUT", "POST"], ["*"],
                                       ["etag", "x-oss-request-id"], 0))
    client.put_object(oss.PutObjectRequest(bucket=bucket, key="obj", body=b"data"))
    return f"{server.endpoint}/{bucket}"


def test_anonymous_get_with_origin(http: requests.Session, star_bucket: str) -> None:
    response = http.get(star_bucket + "/obj", headers={"Origin": "http://a.test"})
    assert (response.status_code, response.content) == (200, b"data")
    assert cors_headers(response) == STAR_SET  # OSS-69/70: no Allow-Headers, no credentials
    assert "Vary" not in response.headers  # OSS-72


def test_origin_null_gets_star(http: requests.Session, star_bucket: str) -> None:
    response = http.get(star_bucket + "/obj", headers={"Origin": "null"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # OSS-87


def test_no_origin_no_headers(http: requests.Session, star_bucket: str) -> None:
    response = http.get(star_bucket + "/obj")
    assert response.status_code == 200 and cors_headers(response) == {}  # OSS-71


def test_errors_carry_cors_headers(http: requests.Session, star_bucket: str) -> None:
    origin = {"Origin": "http://a.test"}
    response = http.get(star_bucket + "/missing", headers=origin)
    assert response.status_code == 404 and "<Code>NoSuchKey</Code>" in response.text
    assert cors_headers(response) == STAR_SET  # OSS-85
    response = http.put(star_bucket + "/new", data=b"x", headers=origin)
    assert response.status_code == 403 and "<Code>AccessDenied</Code>" in response.text
    assert cors_headers(response) == STAR_SET


def test_head_error_has_x_oss_err(http: requests.Session, star_bucket: str) -> None:
    response = http.head(star_bucket + "/missing", headers={"Origin": "http://a.test"})
    assert (response.status_code, response.content) == (404, b"")
    decoded = base64.b64decode(response.headers["x-oss-err"]).decode()  # OSS-3
    assert "<Code>NoSuchKey</Code>" in decoded
    assert response.headers["x-oss-ec"] == "0026-00000001"
    assert cors_headers(response) == STAR_SET


def test_a_refused_post_object_still_gets_cors(http: requests.Session, star_bucket: str) -> None:
    response = http.post(star_bucket + "/", data=b"form", headers={"Origin": "http://a.test"})
    assert response.status_code == 400  # not multipart/form-data: MalformedPOSTRequest
    assert cors_headers(response) == STAR_SET  # OSS-85/86: CORS headers whatever the status


def test_unmatched_actual_request_is_served(http: requests.Session, make_client: ClientFactory,
                                            bucket: str, server: ReferenceServer) -> None:
    url = f"{server.endpoint}/{bucket}/obj"
    put_cors(make_client(), bucket, cors_rule(["http://allowed.test"], ["GET"]))
    response = signed(http, "PUT", url, {"Origin": "http://evil.test"}, b"v")
    assert response.status_code == 200 and cors_headers(response) == {}  # OSS-71
    response = http.get(url, headers={"Origin": "http://evil.test"})
    assert (response.status_code, response.content) == (200, b"v")
    assert cors_headers(response) == {}
    response = http.get(url, headers={"Origin": "http://allowed.test"})
    assert cors_headers(response) == {"access-control-allow-origin": "http://allowed.test",
                                      "access-control-allow-methods": "GET"}  # OSS-21/70


def test_vary_on_every_object_response(http: requests.Session, make_client: ClientFactory,
                                       bucket: str, server: ReferenceServer) -> None:
    url = f"{server.endpoint}/{bucket}"
    put_cors(make_client(), bucket, cors_rule(["http://a.test"], ["GET"]), vary=True)
    responses = [
        signed(http, "PUT", url + "/obj", {}, b"v"),
        http.get(url + "/obj"),
        http.get(url + "/obj", headers={"Origin": "http://other.test"}),
        http.get(url + "/missing", headers={"Origin": "http://a.test"}),
        http.head(url + "/obj"),
    ]
    for response in responses:  # OSS-55: cross-origin or not, matched or not
        assert response.headers["Vary"] == "Origin"
