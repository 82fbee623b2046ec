"""Fixtures for the reference endpoint: a live server on 127.0.0.1 and SDK clients."""

from __future__ import annotations

import time
from collections.abc import Iterator

import alibabacloud_oss_v2 as oss
import pytest
import requests

from conformance.reference import ReferenceServer

from .helpers import AK, OTHER_AK, OTHER_SK, REGION, SK, ClientFactory


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(credentials={AK: SK, OTHER_AK: OTHER_SK}, region=REGION) as srv:
        yield srv


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def make_client(server: ReferenceServer) -> Iterator[ClientFactory]:
    """Build alibabacloud-oss-v2 clients against the server; their sessions close at teardown."""
    sessions: list[requests.Session] = []

    def build(version: str = "v4", ak: str = AK, sk: str = SK) -> oss.Client:
        cfg = oss.config.load_default()
        cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ak, sk)
        cfg.region = REGION
        cfg.endpoint = server.endpoint
        cfg.signature_version = version
        cfg.retry_max_attempts = 1
        session = requests.Session()
        sessions.append(session)
        cfg.http_client = oss.transport.RequestsHttpClient(session=session)
        return oss.Client(cfg)

    yield build
    for session in sessions:
        session.close()


_counter = iter(range(10**6))


@pytest.fixture
def bucket(make_client: ClientFactory) -> str:
    """A fresh empty bucket owned by AK, without CORS configuration."""
    name = f"ref-{next(_counter)}-{time.monotonic_ns() % 10**6}"
    make_client().put_bucket(oss.PutBucketRequest(bucket=name))
    return name


