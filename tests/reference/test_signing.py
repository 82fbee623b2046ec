"""The SDK wire captures of local-targets.md §5 as pure signature-verification vectors."""

from __future__ import annotations

import calendar
import time

import pytest

from conformance.reference import errors
from conformance.reference.auth import authenticate
from conformance.reference.messages import Request, resolve_target, split_query
from conformance.reference.signing import (
    SigningInput,
    V1Credential,
    V4Credential,
    parse_authorization,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
    v4_string_to_sign,
)

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIGNED_AT = float(calendar.timegm(time.strptime("20261125T143004Z", "%Y%m%dT%H%M%SZ")))
BODY = (
    "<CORSConfiguration><CORSRule><AllowedOrigin>http://www.example.com</AllowedOrigin>"
    "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
    "<AllowedHeader>x-amz-meta-a</AllowedHeader><ExposeHeader>x-amz-meta-b</ExposeHeader>"
    "<MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>{vary}</CORSConfiguration>"
)
COMMON = """\
PUT /cors-bkt/?cors= HTTP/1.1
Host: 127.0.0.1:5014
Accept-Encoding: identity
Accept: */*
Connection: keep-alive
"""
CAPTURES = {
    "oss2-v1-ip-endpoint": COMMON + """\
date: Wed, 25 Nov 2026 14:30:04 GMT
authorization: OSS AKIDEXAMPLE:lSc3V0sb2py10OKM8h5okHDlFNY=
""",
    "oss2-v4-ip-endpoint": COMMON + """\
x-oss-date: 20261125T143004Z
x-oss-content-sha256: UNSIGNED-PAYLOAD
authorization: OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/cn-hangzhou/oss/aliyun_v4_request, \
Signature=32e2f0fcd8f7a2fd31e7f24c3d67eae5a4e02b7ab8b02383610d01ff322cff6b
""",
    "ossv2-v4(default)-ip-endpoint": COMMON + """\
Content-Type: application/xml
Content-MD5: y5ppOmaIdD2IyddoB9EtUQ==
x-oss-date: 20261125T143004Z
Date: Wed, 25 Nov 2026 14:30:04 GMT
x-oss-content-sha256: UNSIGNED-PAYLOAD
Authorization: OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/cn-hangzhou/oss/aliyun_v4_request,\
Signature=0df6d3a10282bd6ef6bec9b891c5bccb35d2dd5faf12f5bae52b6b4e3799c8a1
""",
    "ossv2-v1-ip-endpoint-use_path_style": COMMON + """\
Content-Type: application/xml
Content-MD5: y5ppOmaIdD2IyddoB9EtUQ==
Date: Wed, 25 Nov 2026 14:30:04 GMT
Authorization: OSS AKIDEXAMPLE:i45N3PaKFJSVJO+vvG3E+qmDkAk=
""",
}


def parse_capture(text: str, vary: str = "") -> Request:
    """A captured request head, as the reference's HTTP layer would hand it to the service."""
    request_line, *lines = text.strip("\n").split("\n")
    method, target, _ = request_line.split(" ")
    headers = tuple((k, v.strip()) for k, _, v in (line.partition(":") for line in lines))
    path, _, query = target.partition("?")
    host = next(v for k, v in headers if k.lower() == "host")
    bucket, key = resolve_target(host, path)
    return Request(method, path, split_query(query), headers,
                   BODY.format(vary=vary).encode(), bucket, key)


def expected_signature(request: Request, secret: str) -> tuple[str, str]:
    """(provided, recomputed) signatures of a captured request."""
    credential = parse_authorization(request.header("Authorization") or "")
    inp = request.signing_input()
    if isinstance(credential, V1Credential):
        return credential.signature, v1_signature(secret, v1_string_to_sign(inp))
    sts = v4_string_to_sign(inp.headers["x-oss-date"], credential.scope,
                            v4_canonical_request(inp, credential.additional_headers))
    return credential.signature, v4_signature(secret, credential.date, credential.region,
                                              credential.product, sts)


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_capture_signature_recomputes(name: str) -> None:
    provided, recomputed = expected_signature(parse_capture(CAPTURES[name]), SECRET)
    assert recomputed == provided


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_capture_fails_with_another_secret(name: str) -> None:
    provided, recomputed = expected_signature(parse_capture(CAPTURES[name]), SECRET + "x")
    assert recomputed != provided


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_capture_authenticates_at_its_own_time(name: str) -> None:
    request = parse_capture(CAPTURES[name])
    assert authenticate(request, {"AKIDEXAMPLE": SECRET}, "cn-hangzhou", SIGNED_AT) == "AKIDEXAMPLE"


def test_v4_signature_ignores_the_body() -> None:
    # The is_path_style capture sends a different body (ResponseVary) under the same signature.
    vary = "<ResponseVary>true</ResponseVary>"
    request = parse_capture(CAPTURES["oss2-v4-ip-endpoint"], vary=vary)
    assert authenticate(request, {"AKIDEXAMPLE": SECRET}, "cn-hangzhou", SIGNED_AT) == "AKIDEXAMPLE"


def test_wrong_secret_is_signature_does_not_match_with_string_to_sign() -> None:
    request = parse_capture(CAPTURES["ossv2-v1-ip-endpoint-use_path_style"])
    with pytest.raises(errors.OssError) as info:
        authenticate(request, {"AKIDEXAMPLE": "nope"}, "cn-hangzhou", SIGNED_AT)
    assert (info.value.status, info.value.code) == (403, "SignatureDoesNotMatch")
    extra = dict(info.value.extra)
    assert extra["StringToSign"] == (
        "PUT\ny5ppOmaIdD2IyddoB9EtUQ==\napplication/xml\nWed, 25 Nov 2026 14:30:04 GMT\n"
        "/cors-bkt/?cors")


def test_unknown_access_key() -> None:
    request = parse_capture(CAPTURES["oss2-v4-ip-endpoint"])
    with pytest.raises(errors.OssError) as info:
        authenticate(request, {"OTHER": SECRET}, "cn-hangzhou", SIGNED_AT)
    assert (info.value.status, info.value.code) == (403, "InvalidAccessKeyId")


@pytest.mark.parametrize("name", ["oss2-v4-ip-endpoint", "oss2-v1-ip-endpoint"])
def test_skew_over_15_minutes(name: str) -> None:
    request = parse_capture(CAPTURES[name])
    authenticate(request, {"AKIDEXAMPLE": SECRET}, "cn-hangzhou", SIGNED_AT + 15 * 60)
    with pytest.raises(errors.OssError) as info:
        authenticate(request, {"AKIDEXAMPLE": SECRET}, "cn-hangzhou", SIGNED_AT + 15 * 60 + 1)
    assert (info.value.status, info.value.code) == (403, "RequestTimeTooSkewed")


def test_v4_region_must_be_the_endpoint_region() -> None:
    request = parse_capture(CAPTURES["oss2-v4-ip-endpoint"])
    with pytest.raises(errors.OssError) as info:
        authenticate(request, {"AKIDEXAMPLE": SECRET}, "cn-beijing", SIGNED_AT)
    assert (info.value.status, info.value.code) == (400, "InvalidArgument")


def test_v1_canonical_resource_keeps_only_subresources() -> None:
    inp = SigningInput("GET", "b", "k", (("acl", ""), ("foo", "1"), ("versionId", "v%2F1")), {})
    assert v1_string_to_sign(inp).endswith("\n/b/k?acl&versionId=v/1")


def test_v4_canonical_uri_is_encoded_and_query_sorted() -> None:
    inp = SigningInput("GET", "b", "a b/中.txt", (("z", "1"), ("cors", "")), {"Host": "h"})
    lines = v4_canonical_request(inp).split("\n")
    assert lines[1:3] == ["/b/a%20b/%E4%B8%AD.txt", "cors&z=1"]


@pytest.mark.parametrize("header", [
    "OSS4-HMAC-SHA256 Credential=AK/20261125/cn-hangzhou/oss/aliyun_v4_request,Signature=ab",
    "OSS4-HMAC-SHA256 Credential=AK/20261125/cn-hangzhou/oss/aliyun_v4_request, Signature=ab",
])
def test_v4_separators(header: str) -> None:
    assert parse_authorization(header) == V4Credential("AK", "20261125", "cn-hangzhou", "oss", (),
                                                       "ab")


def test_v4_additional_headers() -> None:
    credential = parse_authorization(
        "OSS4-HMAC-SHA256 Credential=AK/20261125/r/oss/aliyun_v4_request, "
        "AdditionalHeaders=Host;range, Signature=ab")
    assert isinstance(credential, V4Credential)
    assert credential.additional_headers == ("host", "range")


@pytest.mark.parametrize("header", [
    "Bearer abc", "OSS nocolon", "OSS :sig", "OSS4-HMAC-SHA256 Signature=ab",
    "OSS4-HMAC-SHA256 Credential=AK/20261125/r/oss,Signature=ab",
])
def test_malformed_authorization(header: str) -> None:
    with pytest.raises(ValueError):
        parse_authorization(header)
