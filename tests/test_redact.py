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


def test_credential_headers_lose_their_whole_value():
    redact = Redactor()
    assert redact.header("Authorization", "anything at all") == REDACTED
    assert redact.header("X-Amz-Security-Token", "tok") == REDACTED
    assert redact.header("Origin", "https://a") == "https://a"



def test_a_secret_added_later_applies_to_text_seen_before():
    redact = Redactor()
    text = f"echo {SECRET}"
    assert redact(text) == text  # remembered as clean...
    redact.add(SECRET)
    assert redact(text) == f"echo {REDACTED}"  # ...until a new secret makes it not
