"""S3 wire details of the reference: aws-chunked bodies, bodiless HEAD errors, S3 ETags."""

from __future__ import annotations

import pytest
import requests

from conformance.reference import ReferenceServer
from conformance.reference.s3_errors import S3Error
from conformance.reference.s3_layer import decode_aws_chunked

from .s3_helpers import S3_AK, S3_SK, client


def test_aws_chunked_bodies_are_decoded() -> None:
    body = (b"5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\n"
            b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n")
    assert decode_aws_chunked(body) == b"hello world"
    with pytest.raises(S3Error):
        decode_aws_chunked(b"5\r\nhel")


def test_head_errors_have_no_body_and_s3_ids() -> None:
    with ReferenceServer(credentials={S3_AK: S3_SK}, dialect="s3") as server:
        client(server).create_bucket(Bucket="wire-bucket")
        answer = requests.head(f"{server.endpoint}/wire-bucket/missing", timeout=10)
        assert (answer.status_code, answer.content) == (404, b"")
        assert answer.headers["Server"] == "AmazonS3"
        assert len(answer.headers["x-amz-request-id"]) == 16 and answer.headers["x-amz-id-2"]
        assert not [h for h in answer.headers if h.lower().startswith("x-oss-")]
        etag = client(server).put_object(Bucket="wire-bucket", Key="k", Body=b"abc")["ETag"]
        assert etag == '"900150983cd24fb0d6963f7d28e17f72"'  # lower-case hex MD5, as S3
