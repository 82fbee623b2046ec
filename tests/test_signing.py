"""The `sign:` / `upload:` request fields and the dialects' SDK signers (issue 13)."""

from __future__ import annotations

import calendar
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from conformance.cases.loader import CaseFileErrors, parse_case
from conformance.cases.model import Signing
from conformance.dialects.oss_sign import OssSigner
from conformance.dialects.s3_sign import S3Signer
from conformance.dialects.sign_base import ToSign
from conformance.signed import _key_of
from conformance.targets import Credentials, Target

CASE = """\
title: t
spec: [OSS-88]
cors: null
preflights:
  - name: one
    request: {method: PUT, path: /a.txt, sign: %s}
    expect: {status: 200}
"""
CREDS = Credentials("AKIDEXAMPLE", "not-a-real-secret-0001")


def _request(sign: str):
    return parse_case(CASE % sign, "cases/t.yaml").preflights[0]


def test_sign_is_parsed_with_defaults_and_dialect_names():
    pf = _request("{as: query, acl: private, copy_from: /src.txt, headers: {x-amz-meta-a: b}}")
    assert pf.request.sign == Signing(where="query", acl="private", copy_from="/src.txt",
                                      headers=(("x-amz-meta-a", "b"),))
    assert pf.inapplicable == ()


@pytest.mark.parametrize(("sign", "skipped"), [("{version: v1}", "s3"), ("{version: v2}", "oss")])
def test_a_scheme_one_dialect_lacks_skips_the_item_there(sign, skipped):
    assert [d for d, _ in _request(sign).inapplicable] == [skipped]


def test_bad_sign_fields_are_one_line_each():
    with pytest.raises(CaseFileErrors) as info:
        parse_case((CASE % "{as: cookie, expires: 0}").replace(
            "sign:", "upload: part, sign:"), "cases/t.yaml")
    lines = [str(e) for e in info.value.errors]
    assert all(line.startswith("cases/t.yaml:6:") and "\n" not in line for line in lines)
    with pytest.raises(CaseFileErrors) as info:
        parse_case(CASE.replace("sign: %s", "upload: part"), "cases/t.yaml")
    assert "upload needs sign" in str(info.value.errors[0])


def test_the_key_comes_from_either_addressing():
    assert _key_of("b", "/b/dir/a%20b.txt") == "dir/a b.txt"
    assert _key_of("b", "/dir/a.txt") == "dir/a.txt"
    assert _key_of("b", "/b") is None and _key_of("b", "/") is None


def _target(dialect: str) -> Target:
    return Target(name="t", endpoint="http://127.0.0.1:9", dialect=dialect, region="us-east-1")


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _epoch(stamp: str) -> float:
    return calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))


TO_SIGN = ToSign("PUT", "http://127.0.0.1:9/b/a.txt", "b", "a.txt",
                 (("x-amz-acl", "private"),))


def test_an_expired_sigv4_url_is_signed_an_hour_back_without_waiting():
    signer = S3Signer(_target("s3"), CREDS)
    fresh = _query(signer.sign(TO_SIGN, Signing(where="query")).url)
    old = _query(signer.sign(TO_SIGN, Signing(where="query", expired=True)).url)
    assert _epoch(fresh["X-Amz-Date"]) - _epoch(old["X-Amz-Date"]) >= 3600 - 5
    assert _epoch(old["X-Amz-Date"]) + int(old["X-Amz-Expires"]) < time.time()
    assert "x-amz-acl" in old["X-Amz-SignedHeaders"]
    wrong = _query(signer.sign(TO_SIGN, Signing(where="query", wrong_secret=True)).url)
    assert wrong["X-Amz-Signature"] != fresh["X-Amz-Signature"]


def test_expired_legacy_urls_carry_an_expiry_in_the_past():
    s3 = _query(S3Signer(_target("s3"), CREDS).sign(
        TO_SIGN, Signing(where="query", version="v2", expired=True)).url)
    oss = _query(OssSigner(_target("oss"), CREDS).sign(
        TO_SIGN, Signing(where="query", version="v1", expired=True)).url)
    assert int(s3["Expires"]) < time.time() and int(oss["Expires"]) < time.time()


def test_an_oss_v4_header_signature_covers_the_object_acl():
    signed = OssSigner(_target("oss"), CREDS).sign(
        ToSign("PUT", "http://127.0.0.1:9/b/a.txt", "b", "a.txt",
               (("x-oss-object-acl", "private"),)), Signing())
    headers = dict(signed.headers)
    assert headers["Authorization"].startswith("OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert headers["x-oss-object-acl"] == "private" and "x-oss-date" in headers


def test_an_oss_form_carries_a_v1_policy_signature_and_an_expired_policy():
    signed = OssSigner(_target("oss"), CREDS).sign(
        ToSign("POST", "http://127.0.0.1:9/b/", "b", None), Signing(where="form", expired=True))
    assert signed.content_type.startswith("multipart/form-data; boundary=")
    for name in ("OSSAccessKeyId", "policy", "Signature", "file"):
        assert f'name="{name}"' in signed.body


@pytest.mark.parametrize(("signer", "version"), [(S3Signer, "v2"), (OssSigner, "v1"),
                                                 (S3Signer, "v4"), (OssSigner, "v4")])
def test_an_expired_header_signature_is_dated_an_hour_back(signer, version):
    dialect = "s3" if signer is S3Signer else "oss"
    signed = signer(_target(dialect), CREDS).sign(
        ToSign("GET", "http://127.0.0.1:9/b/a.txt", "b", "a.txt"),
        Signing(version=version, expired=True))
    headers = {k.lower(): v for k, v in signed.headers}
    stamp = headers.get("x-amz-date") or headers.get("x-oss-date")
    when = _epoch(stamp) if stamp else calendar.timegm(
        time.strptime(headers["date"], "%a, %d %b %Y %H:%M:%S GMT"))
    assert time.time() - when >= 3600 - 5
