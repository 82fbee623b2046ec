"""PutBucketCors validation, GetBucketCors serialization and the OSS error body (OSS-2, 38…61)."""

from __future__ import annotations

import pytest

from conformance.cases.model import CorsConfig, CorsRule
from conformance.reference import errors
from conformance.reference.xml_codec import error_body, parse_cors, serialize_cors

RULE = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"


def doc(*parts: str) -> bytes:
    return ("<CORSConfiguration>" + "".join(parts) + "</CORSConfiguration>").encode()


def rule(*children: str) -> str:
    return "<CORSRule>" + "".join(children) + "</CORSRule>"


def failure(body: bytes) -> tuple[int, str, str]:
    with pytest.raises(errors.OssError) as info:
        parse_cors(body)
    return info.value.status, info.value.code, info.value.ec


def test_full_rule_parses_and_lowercases_allowed_headers() -> None:
    body = doc(rule("<AllowedOrigin>http://a.test</AllowedOrigin>",
                    "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>",
                    "<AllowedHeader> Authorization</AllowedHeader>",
                    "<AllowedHeader>X-*</AllowedHeader>",
                    "<ExposeHeader>Content-Length</ExposeHeader>",
                    "<MaxAgeSeconds>100</MaxAgeSeconds>"),
               "<ResponseVary>true</ResponseVary>")
    assert parse_cors(b'<?xml version="1.0" encoding="UTF-8"?>\n' + body) == CorsConfig(
        (CorsRule(("http://a.test",), ("PUT", "GET"), ("authorization", "x-*"),
                  ("Content-Length",), 100),), response_vary=True)


def test_defaults_and_s3_namespace() -> None:
    body = (b'<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' + RULE.encode()
            + b"</CORSConfiguration>")
    assert parse_cors(body) == CorsConfig((CorsRule(("*",), ("GET",)),), response_vary=False)


@pytest.mark.parametrize(("body", "expected"), [
    (b"", (400, "MalformedXML", errors.UNKNOWN_EC)),
    (b"<CORSConfiguration>", (400, "MalformedXML", errors.UNKNOWN_EC)),
    (b"<Other/>", (400, "MalformedXML", errors.UNKNOWN_EC)),
    (doc(RULE, "<Unknown/>"), (400, "MalformedXML", errors.UNKNOWN_EC)),
    (doc(rule("<AllowedMethod>GET</AllowedMethod>")), (400, "MalformedXML", errors.UNKNOWN_EC)),
    (doc(rule("<AllowedOrigin>*</AllowedOrigin>")), (400, "MalformedXML", errors.UNKNOWN_EC)),
    (doc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
              "<MaxAgeSeconds>ten</MaxAgeSeconds>")), (400, "MalformedXML", errors.UNKNOWN_EC)),
    (doc(), (400, "InvalidArgument", "0034-00000002")),  # OSS-45
    (doc("<ResponseVary>true</ResponseVary>"), (400, "InvalidArgument", "0034-00000002")),
    (doc(*[RULE] * 11), (400, "CORSRuleBeyondLimit", "0034-00000006")),  # OSS-43
    (doc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>")),
     (400, "InvalidArgument", "0034-00000011")),  # OSS-46
    (doc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>")),
     (400, "InvalidArgument", "0034-00000011")),
    (doc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod></AllowedMethod>")),
     (400, "InvalidArgument", "0034-00000011")),
    (doc(rule("<AllowedOrigin>http://*.*.a</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")),
     (400, "InvalidArgument", "0034-00000009")),  # OSS-47
    (doc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
              "<AllowedHeader>x-*-*</AllowedHeader>")),
     (400, "InvalidArgument", errors.UNKNOWN_EC)),  # OSS-48
    (doc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
              "<ExposeHeader>x-oss-*</ExposeHeader>")),
     (400, "InvalidArgument", "0034-00000013")),  # OSS-49
    (doc(RULE, "<ResponseVary>0</ResponseVary>"), (400, "InvalidArgument", "0034-00000004")),
])
def test_rejections(body: bytes, expected: tuple[int, str, str]) -> None:
    assert failure(body) == expected


def test_ten_rules_are_accepted() -> None:
    assert len(parse_cors(doc(*[RULE] * 10)).rules) == 10


def test_oversize_body() -> None:
    padding = "<AllowedOrigin>" + "a" * 16 * 1024 + "</AllowedOrigin>"
    body = doc(rule(padding, "<AllowedMethod>GET</AllowedMethod>"))
    assert failure(body)[:2] == (400, "InvalidArgument")  # OSS-44


def test_entities_are_refused() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "*">]>'
            b"<CORSConfiguration><CORSRule><AllowedOrigin>&e;</AllowedOrigin>"
            b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
    assert failure(body)[1] == "MalformedXML"


def test_serialize_omits_unset_and_always_has_response_vary() -> None:
    config = CorsConfig((CorsRule(("*",), ("GET",)),
                         CorsRule(("http://a&b",), ("PUT", "POST"), ("x-a",), ("ETag",), 0)))
    assert serialize_cors(config).decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>'
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
        "<CORSRule><AllowedOrigin>http://a&amp;b</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
        "<AllowedMethod>POST</AllowedMethod><AllowedHeader>x-a</AllowedHeader>"
        "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>0</MaxAgeSeconds></CORSRule>"
        "<ResponseVary>false</ResponseVary></CORSConfiguration>")


def test_round_trip() -> None:
    config = CorsConfig((CorsRule(("*",), ("GET", "HEAD"), ("x-*",), ("etag",), 30),),
                        response_vary=True)
    assert parse_cors(serialize_cors(config)) == config


def test_error_body_shape() -> None:
    body = error_body(errors.cors_denied(), "A" * 24, "bkt.example").decode()
    assert body == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        "  <Code>AccessForbidden</Code>\n"
        f"  <Message>{errors.CORS_DENIED_MESSAGE}</Message>\n"
        f"  <RequestId>{'A' * 24}</RequestId>\n"
        "  <HostId>bkt.example</HostId>\n"
        "  <EC>0003-00000602</EC>\n"
        "  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0003-00000602</RecommendDoc>\n"
        "</Error>\n")
    assert "evalution" in body and "Access-Control-Requet-Headers" in body
