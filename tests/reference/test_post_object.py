"""PostObject on the reference endpoint: a form signed in the form, answered as OSS does."""

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests

from conformance.dialects.oss import OssDialect
from conformance.reference import ReferenceServer
from conformance.targets import Credentials, Target

KEY, SECRET = "LTAIpostKEY000001", "post-object-secret"
BOUNDARY = "----conformance-test-boundary"


def policy(expires_in: float) -> str:
    when = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + expires_in))
    return base64.b64encode(json.dumps({"expiration": when, "conditions": []}).encode()).decode()


def sign(text: str, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()
                            ).decode()


def form(fields: dict[str, str], data: bytes = b"hello") -> bytes:
    out = b""
    for name, value in fields.items():
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                f"{value}\r\n").encode()
    out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\""
            f"\r\nContent-Type: text/plain\r\n\r\n").encode()
    return out + data + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.fixture(scope="module")
def bucket_url():
    with ReferenceServer(credentials={KEY: SECRET}) as srv:
        dialect = OssDialect(Target(endpoint=srv.endpoint), Credentials(KEY, SECRET))
        assert dialect.create_bucket("post-bkt").ok
        yield f"{srv.endpoint}/post-bkt/"
        dialect.close()


def post(url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}"):
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=10)


def test_a_signed_form_uploads_the_file(bucket_url):
    p = policy(600)
    answer = post(bucket_url, form({"key": "up/a.txt", "OSSAccessKeyId": KEY, "policy": p,
                                    "Signature": sign(p)}, b"form data"))
    assert answer.status_code == 204
    assert requests.get(bucket_url + "up/a.txt", timeout=10).content == b"form data"


@pytest.mark.parametrize("fields, status, code", [
    ({"key": "k", "OSSAccessKeyId": "no-such-key", "policy": "x", "Signature": "eA=="},
     403, "InvalidAccessKeyId"),
    ({"key": "k", "OSSAccessKeyId": KEY, "policy": "cG9saWN5", "Signature": "bm8="},
     403, "SignatureDoesNotMatch"),
    ({"key": "k", "policy": "x", "Signature": "eA=="}, 403, "AccessDenied"),
])
def test_forms_that_cannot_be_trusted_are_refused(bucket_url, fields, status, code):
    answer = post(bucket_url, form(fields))
    assert (answer.status_code, f"<Code>{code}</Code>" in answer.text) == (status, True)


def test_an_expired_policy_is_refused(bucket_url):
    p = policy(-60)
    answer = post(bucket_url, form({"key": "k", "OSSAccessKeyId": KEY, "policy": p,
                                    "Signature": sign(p)}))
    assert answer.status_code == 403 and "Policy expired" in answer.text


def test_a_body_that_is_not_a_form_is_malformed(bucket_url):
    answer = post(bucket_url, b"just text", content_type="text/plain")
    assert answer.status_code == 400 and "<Code>MalformedPOSTRequest</Code>" in answer.text
