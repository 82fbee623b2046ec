"""Helpers for the S3 dialect of the reference endpoint: boto3 clients and raw requests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import boto3
import requests
from botocore.config import Config

from conformance.reference import ReferenceServer

S3_AK, S3_SK = "AKIAREFERENCETEST01", "s3-reference-secret"
S3_REGION = "us-east-1"
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def client(server: ReferenceServer, secret: str = S3_SK, ak: str = S3_AK):  # noqa: ANN201
    """A boto3 S3 client signing SigV4 (header and presigned), path-style, no retries."""
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                    retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", endpoint_url=server.endpoint, region_name=S3_REGION,
                        aws_access_key_id=ak, aws_secret_access_key=secret, config=config)


def error_fields(response: requests.Response) -> dict[str, str]:
    """The children of an S3 `<Error>` body by tag."""
    root = ET.fromstring(response.content)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def preflight(server: ReferenceServer, bucket: str, origin: str | None, method: str | None,
              headers: str | None = None, path: str = "/obj.txt") -> requests.Response:
    """An unsigned OPTIONS as a browser sends it."""
    sent = {}
    if origin is not None:
        sent["Origin"] = origin
    if method is not None:
        sent["Access-Control-Request-Method"] = method
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return requests.options(f"{server.endpoint}/{bucket}{path}", headers=sent, timeout=10)
