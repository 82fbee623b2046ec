"""OPTIONS preflights over HTTP, with plain requests (OSS-5…37, 55, 66, 87…91)."""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
import pytest
import requests

from conformance.reference import ReferenceServer

from .helpers import CORS_DENIED, ClientFactory, cors_headers, cors_rule, put_cors

SEED_ORIGIN = "http://www.example.com"


def preflight(http: requests.Session, url: str, origin: str | None = SEED_ORIGIN,
              method: str | None = "PUT", headers: str | None = None,
              **extra: str) -> requests.Response:
    sent = dict(extra)
    if origin is not None:
        sent["Origin"] = origin
    if method is not None:
        sent["Access-Control-Request-Method"] = method
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return http.options(url, headers=sent)


def assert_error(response: requests.Response, status: int, code: str, message: str,
                 ec: str | None = None) -> None:
    assert response.status_code == status
    assert f"<Code>{code}</Code>" in response.text
    assert f"<Message>{message}</Message>" in response.text
    if ec is not None:
        assert response.headers["x-oss-ec"] == ec
        assert f"<EC>{ec}</EC>" in response.text
    assert len(response.headers["x-oss-request-id"]) == 24
    assert cors_headers(response) == {}  # OSS-18


@pytest.fixture
def seeded(make_client: ClientFactory, bucket: str, server: ReferenceServer) -> str:
    """The bucket of oss-cors.md §10, configured as that section suggests; returns its URL."""
    put_cors(make_client(), bucket,
             cors_rule([SEED_ORIGIN], ["PUT"], ["x-oss-test1", "x-oss-test2"],
                       ["x-oss-test1", "x-oss-test2"]))
    return f"{server.endpoint}/{bucket}"


def test_seed_example(http: requests.Session, seeded: str) -> None:
    response = preflight(http, f"{seeded}/testobject", headers="x-oss-test1,x-oss-test2")
    assert response.status_code == 200
    assert response.content == b"" and response.headers["Content-Length"] == "0"  # OSS-20
    assert cors_headers(response) == {
        "access-control-allow-origin": SEED_ORIGIN,
        "access-control-allow-methods": "PUT",
        "access-control-allow-headers": "x-oss-test1, x-oss-test2",
        "access-control-expose-headers": "x-oss-test1, x-oss-test2",
    }
    assert "Vary" not in response.headers
    assert response.headers["Server"] == "AliyunOSS"


def test_missing_headers_are_400_origin_first(http: requests.Session, seeded: str,
                                               server: ReferenceServer) -> None:
    origin_msg = "Insufficient information. Origin request header needed."
    method_msg = "Insufficient information. Request Access-Control-Request-Method header needed."
    assert_error(preflight(http, seeded + "/k", origin=None), 400, "BadRequest", origin_msg,
                 "0034-00000101")
    assert_error(preflight(http, seeded + "/k", method=None), 400, "BadRequest", method_msg,
                 "0034-00000102")
    assert_error(preflight(http, seeded + "/k", origin=None, method=None), 400, "BadRequest",
                 origin_msg)
    missing = f"{server.endpoint}/no-such-bucket/k"  # OSS-12: header checks come first
    assert_error(preflight(http, missing, origin=None), 400, "BadRequest", origin_msg)


def test_missing_bucket_is_404(http: requests.Session, server: ReferenceServer) -> None:
    assert_error(preflight(http, f"{server.endpoint}/no-such-bucket/k"), 404, "NoSuchBucket",
                 "The specified bucket does not exist.", "0015-00000101")  # OSS-14


def test_no_configuration_is_403(http: requests.Session, server: ReferenceServer,
                                 bucket: str) -> None:
    response = preflight(http, f"{server.endpoint}/{bucket}/k")
    assert_error(response, 403, "AccessForbidden", CORS_DENIED)  # OSS-15/16
    assert response.headers["Content-Type"] == "application/xml"


@pytest.mark.parametrize(("origin", "method", "headers"), [
    ("http://evil.example.org", "PUT", None),
    (SEED_ORIGIN, "GET", None),
    (SEED_ORIGIN, "PUT", "x-oss-test3"),
    (SEED_ORIGIN, "PUT", "x-oss-test1,x-oss-test3"),
    (SEED_ORIGIN, "put", None),  # OSS-89: a browser cannot send it, a raw client can
    (SEED_ORIGIN, "PATCH", None),
    ("HTTP://WWW.EXAMPLE.COM", "PUT", None),
])
def test_mismatch_is_403(http: requests.Session, seeded: str, origin: str, method: str,
                         headers: str | None) -> None:
    response = preflight(http, seeded + "/k", origin, method, headers)
    assert_error(response, 403, "AccessForbidden", CORS_DENIED, "0003-00000602")  # OSS-17


def test_wildcard_rule_answers_star(http: requests.Session, make_client: ClientFactory,
                                    bucket: str, server: ReferenceServer) -> None:
    put_cors(make_client(), bucket, cors_rule(["*"], ["GET", "PUT"], ["*"], ["ETag"], 30))
    for origin in ("http://anything.test", "null"):  # OSS-22/87
        response = preflight(http, f"{server.endpoint}/{bucket}/k", origin, "PUT", "x-foo")
        assert cors_headers(response) == {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "GET, PUT",
            "access-control-allow-headers": "x-foo",
            "access-control-expose-headers": "ETag",
            "access-control-max-age": "30",
        }


def test_allow_headers_echo_is_normalised(http: requests.Session, seeded: str) -> None:
    response = preflight(http, seeded + "/k", headers="X-OSS-Test2 ,, x-oss-test1 ,")
    assert response.headers["Access-Control-Allow-Headers"] == "X-OSS-Test2, x-oss-test1"


def test_first_matching_rule_wins(http: requests.Session, make_client: ClientFactory,
                                  bucket: str, server: ReferenceServer) -> None:
    put_cors(make_client(), bucket, cors_rule(["http://a.test"], ["GET"], max_age=1),
             cors_rule(["http://a.test"], ["PUT", "GET"], max_age=2))
    response = preflight(http, f"{server.endpoint}/{bucket}/k", "http://a.test", "PUT")
    assert response.headers["Access-Control-Max-Age"] == "2"
    assert response.headers["Access-Control-Allow-Methods"] == "PUT, GET"


@pytest.mark.parametrize("suffix", [
    "", "/", "/a%20b.txt", "/%E4%B8%AD.txt", "/dir/nested/key", "/dir/", "/k?x=1",
    "/k?OSSAccessKeyId=AKIDNOBODY&Expires=1&Signature=bad",  # OSS-88
    "/k?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=bad&x-oss-signature=bad",
])
def test_key_plays_no_part(http: requests.Session, seeded: str, suffix: str) -> None:
    reference = preflight(http, seeded + "/", headers="x-oss-test1")
    response = preflight(http, seeded + suffix, headers="x-oss-test1")  # OSS-5/6/90
    assert response.status_code == reference.status_code == 200
    assert cors_headers(response) == cors_headers(reference)


def test_sdk_headers_are_tolerated(http: requests.Session, seeded: str) -> None:
    response = preflight(http, seeded + "/k", Authorization="OSS AKIDNOBODY:bad",
                         **{"Content-MD5": "bad", "Content-Type": "application/xml"})  # OSS-13
    assert response.status_code == 200


def test_virtual_hosted_request(http: requests.Session, seeded: str,
                                server: ReferenceServer) -> None:
    bucket = seeded.rsplit("/", 1)[1]
    response = preflight(http, f"{server.endpoint}/testobject",
                         Host=f"{bucket}.oss-cn-hangzhou.aliyuncs.com")
    assert response.status_code == 200


def test_vary_follows_response_vary(http: requests.Session, make_client: ClientFactory,
                                    bucket: str, server: ReferenceServer) -> None:
    url = f"{server.endpoint}/{bucket}/k"
    put_cors(make_client(), bucket, cors_rule(["http://a.test"], ["GET"]), vary=True)
    for response in (preflight(http, url, "http://a.test", "GET"),  # OSS-55: matched or not
                     preflight(http, url, "http://b.test", "GET"),
                     preflight(http, url, None, "GET")):
        assert response.headers["Vary"] == "Origin"
    put_cors(make_client(), bucket, cors_rule(["http://a.test"], ["GET"]), vary=False)
    assert "Vary" not in preflight(http, url, "http://a.test", "GET").headers


def test_after_delete_preflight_is_403(http: requests.Session, make_client: ClientFactory,
                                       seeded: str) -> None:
    assert preflight(http, seeded + "/k").status_code == 200
    bucket = seeded.rsplit("/", 1)[1]
    make_client().delete_bucket_cors(oss.DeleteBucketCorsRequest(bucket=bucket))
    assert_error(preflight(http, seeded + "/k"), 403, "AccessForbidden", CORS_DENIED)  # OSS-66
