"""`oss-conformance serve --dialect s3` as a separate process, used by a plain boto3 client."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

AK, SK = "AKIASERVEDREFERENCE", "served-s3-secret"


@pytest.fixture
def served() -> Iterator[tuple[str, str]]:
    """(endpoint, first line printed) of a served S3 reference; stopped by PID."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK}
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--dialect", "s3",
                             "--port", "0"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        deadline, line = time.monotonic() + 20, ""
        while time.monotonic() < deadline and "http://" not in line:
            line = proc.stdout.readline() if proc.stdout else ""
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"serve printed {line!r}"
        yield match.group(0), line
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _client(endpoint: str, secret: str):  # noqa: ANN202
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=AK, aws_secret_access_key=secret,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      retries={"total_max_attempts": 1, "mode": "standard"}))


def test_served_s3_reference_serves_boto3(served: tuple[str, str]) -> None:
    endpoint, line = served
    assert "S3 endpoint" in line and "us-east-1" in line and AK in line and SK not in line
    s3 = _client(endpoint, SK)
    s3.create_bucket(Bucket="served-bucket")
    s3.put_object(Bucket="served-bucket", Key="k.txt", Body=b"served")
    assert s3.get_object(Bucket="served-bucket", Key="k.txt")["Body"].read() == b"served"
    with pytest.raises(ClientError) as info:
        _client(endpoint, "wrong").get_bucket_cors(Bucket="served-bucket")
    assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
