"""Signatures and request validation over HTTP: V1/V4 headers, presigned URLs, Content-MD5."""

from __future__ import annotations

import base64
import datetime
import hashlib
import time

import alibabacloud_oss_v2 as oss
import requests

from conformance.reference import ReferenceServer

from .helpers import AK, ClientFactory, put_cors_xml, signed

RULE_XML = (b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
            b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")


def code(response: requests.Response) -> tuple[int, str]:
    text = response.text or base64.b64decode(response.headers.get("x-oss-err", "")).decode()
    return response.status_code, text.split("<Code>")[1].split("</Code>")[0]


def test_missing_signature_is_access_denied(http: requests.Session, server: ReferenceServer,
                                            bucket: str) -> None:
    response = http.put(f"{server.endpoint}/{bucket}/?cors", data=RULE_XML)
    assert code(response) == (403, "AccessDenied")
    assert response.headers["x-oss-ec"] == "0003-00000001"
    assert code(http.get(f"{server.endpoint}/{bucket}/?cors")) == (403, "AccessDenied")


def test_v4_both_separators(http: requests.Session, server: ReferenceServer, bucket: str) -> None:
    url = f"{server.endpoint}/{bucket}/?cors"
    response = signed(http, "GET", url)
    assert code(response) == (404, "NoSuchCORSConfiguration")  # signature accepted
    header = response.request.headers["Authorization"].replace(",Signature", ", Signature")
    fixed = {k: v for k, v in response.request.headers.items() if k.lower().startswith("x-oss-")}
    again = http.get(url, headers={**fixed, "Authorization": header})
    assert code(again) == (404, "NoSuchCORSConfiguration")


def test_v4_clock_skew(http: requests.Session, server: ReferenceServer, bucket: str) -> None:
    response = signed(http, "GET", f"{server.endpoint}/{bucket}/?cors", when=time.time() - 3600)
    assert code(response) == (403, "RequestTimeTooSkewed")


def test_signature_covers_the_sub_resource(http: requests.Session, server: ReferenceServer,
                                           bucket: str) -> None:
    response = signed(http, "GET", f"{server.endpoint}/{bucket}/?cors", version="v1")
    assert code(response) == (404, "NoSuchCORSConfiguration")
    replay = http.get(f"{server.endpoint}/{bucket}/?acl", headers={
        k: v for k, v in response.request.headers.items() if k in ("Date", "Authorization")})
    assert code(replay) == (403, "SignatureDoesNotMatch")


def test_garbage_authorization(http: requests.Session, server: ReferenceServer,
                               bucket: str) -> None:
    response = http.get(f"{server.endpoint}/{bucket}/?cors", headers={"Authorization": "Bearer x"})
    assert code(response) == (400, "InvalidArgument")


def test_content_md5(http: requests.Session, server: ReferenceServer, bucket: str) -> None:
    good = base64.b64encode(hashlib.md5(RULE_XML).digest()).decode()
    url = f"{server.endpoint}/{bucket}/?cors"
    assert signed(http, "PUT", url, {"Content-MD5": good}, RULE_XML).status_code == 200
    assert signed(http, "PUT", url, {}, RULE_XML).status_code == 200  # OSS-52: optional
    bad = signed(http, "PUT", url, {"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, RULE_XML)
    assert code(bad) == (400, "InvalidDigest")
    assert "<Message>The Content-MD5 you specified was invalid.</Message>" in bad.text
    sniffed = signed(http, "PUT", url, {"Content-Type": "text/plain; charset=utf-8"}, RULE_XML)
    assert sniffed.status_code == 200  # OSS-53


def test_malformed_xml(http: requests.Session, server: ReferenceServer, bucket: str) -> None:
    response = put_cors_xml(http, server.endpoint, bucket, b"<CORSConfiguration><CORSRule>")
    assert code(response) == (400, "MalformedXML")
    assert ("<Message>The XML you provided was not well-formed or did not validate against our "
            "published schema.</Message>") in response.text


def test_presigned_urls(http: requests.Session, make_client: ClientFactory, bucket: str) -> None:
    for version in ("v4", "v1"):
        client = make_client(version)
        put = client.presign(oss.PutObjectRequest(bucket=bucket, key=f"p-{version}"))
        assert http.put(put.url, data=b"up", headers=put.signed_headers).status_code == 200
        get = client.presign(oss.GetObjectRequest(bucket=bucket, key=f"p-{version}"))
        assert http.get(get.url).content == b"up"
        tampered = put.url.replace(f"p-{version}", "other")
        assert code(http.put(tampered, data=b"x")) == (403, "SignatureDoesNotMatch")


def test_expired_presigned_url(http: requests.Session, server: ReferenceServer,
                               bucket: str) -> None:
    url = f"{server.endpoint}/{bucket}/k?OSSAccessKeyId={AK}&Expires=1&Signature=x"
    assert code(http.put(url, data=b"x")) == (403, "AccessDenied")
    client_time = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    stamp = client_time.strftime("%Y%m%dT%H%M%SZ")
    url = (f"{server.endpoint}/{bucket}/k?x-oss-signature-version=OSS4-HMAC-SHA256"
           f"&x-oss-credential={AK}%2F{stamp[:8]}%2Fcn-hangzhou%2Foss%2Faliyun_v4_request"
           f"&x-oss-date={stamp}&x-oss-expires=60&x-oss-signature=00")
    assert code(http.put(url, data=b"x")) == (403, "AccessDenied")
