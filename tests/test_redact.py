"""The redactor: every signature form and known secret goes, everything else stays."""

import pytest

from conformance.redact import REDACTED, Redactor

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"


@pytest.mark.parametrize("text, kept", [
    ("Authorization: OSS LTAIkey:c2lnbmF0dXJl", "Authorization: "),
    ("OSS4-HMAC-SHA256 Credential=LTAI/20261125/cn-hangzhou/oss/aliyun_v4_request,"
     "Signature=ab12", "OSS4-HMAC-SHA256 "),
    ("AWS4-HMAC-SHA256 Credential=AKIA/20261125/us-east-1/s3/aws4_request, Signature=ff",
     "AWS4-HMAC-SHA256 "),
    ("GET /b/k?x-oss-signature=abc%2Fdef&x-oss-expires=60", "GET /b/k?x-oss-signature="),
    ("/b?X-Amz-Signature=deadbeef", "/b?X-Amz-Signature="),
    ("/b?security-token=tok123", "/b?security-token="),
    ("signature = abc+/=", "signature = "),
    ("header line OSS LTAIkey:Zm9v", "header line OSS LTAIkey:"),
])
def test_signature_material_is_replaced_after_its_label(text, kept):
    out = Redactor()(text)
    assert out.startswith(kept + REDACTED)


def test_known_secrets_are_replaced_anywhere():
    redact = Redactor([SECRET])
    assert redact(f"<Error><Secret>{SECRET}</Secret></Error>") == (
        f"<Error><Secret>{REDACTED}</Secret></Error>")


@pytest.mark.parametrize("text", [
    "x-oss-request-id: 5C3D9175B6FC201293AD****", "osscors-0a1b2c3d bucket", "GET, PUT",
    "Access-Control-Allow-Origin: https://app.example", "<Code>AccessForbidden</Code>",
])
def test_ordinary_text_is_left_alone(text):
    assert Redactor([SECRET])(text) == text


def test_header_pairs_lose_authorization_values():
    pairs = Redactor().headers([("Authorization", "anything at all"), ("Origin", "https://a")])
    assert pairs == [("Authorization", REDACTED), ("Origin", "https://a")]


def string_by_string(value, redact):
    """The reference: every string redacted on its own, header pairs by name."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: string_by_string(v, redact) for k, v in value.items()}
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return list(redact.headers([tuple(value)])[0])
    if isinstance(value, list):
        return [string_by_string(v, redact) for v in value]
    return value


RECORD = {
    "exchange": {
        "request_headers": [["Host", "127.0.0.1:9"], ["Authorization", "OSS AK:c2ln"],
                            ["x-oss-security-token", "tok\"en"], ["Origin", "https://a"]],
        "response_headers": [["x-oss-request-id", "5C3D"], ["Set", f"leak {SECRET} here"]],
        "body": "<Error><Code>AccessDenied</Code>\n<Hint>Authorization: OSS AK:Zm9v</Hint>"
                "\n<StringToSign>GET\\n\\n</StringToSign></Error>",
        "url": "http://h/b/k?x-oss-signature=abc%2Fdef&x-oss-expires=60",
        "elapsed_ms": 1.5, "status": 403, "raw": False, "error": None,
    },
    "checks": [{"subject": "status", "expected": "200", "actual": "403", "ok": False}],
    "note": "OSS4-HMAC-SHA256 Credential=LTAI/2026/cn/oss/aliyun_v4_request,Signature=ab\r\n",
    "unicode": "origine: https://exämple.测试",
}


def test_json_text_removes_what_string_by_string_redaction_removes():
    import json

    redact = Redactor([SECRET])
    text = json.dumps(RECORD, ensure_ascii=False)
    assert json.loads(redact.json_text(text)) == string_by_string(RECORD, redact)
    assert SECRET not in redact.json_text(text)
