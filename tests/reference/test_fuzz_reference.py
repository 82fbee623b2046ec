"""Property-based fuzzing of the reference endpoint's HTTP and XML layers, both dialects.

Hypothesis draws raw requests (method, path, query, headers, chunked framing, bodies, XML with
odd encodings, entities, depth and huge numbers; see fuzz_strategies.py), signs most of them
for real, and sends them over a socket to a running ReferenceServer. Every answer must be
well-formed HTTP, never a 500 (a 501 only as AWS's NotImplemented for a coding such as gzip
before chunked), with an error in the dialect's shape; no handler may log a bug, and the
server must still answer afterwards.

Cost: REFERENCE_FUZZ_EXAMPLES examples per dialect, 200 by default (about 15 s in all).
Slow mode: `REFERENCE_FUZZ_EXAMPLES=5000 REFERENCE_FUZZ_STATS=/tmp/fuzz.json python -m pytest
tests/reference/test_fuzz_reference.py`; the stats file gets the figures (inputs, status and
code counts, 500s, logged bugs, worst time, RSS before and after: the test process's, so
Hypothesis's own memory is in it; test_bounds.py measures the server's).
"""

from __future__ import annotations

import json
import logging
import os
import resource
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings

from conformance.reference import ReferenceServer

from .fuzz_strategies import AK, RawRequest, raw_requests
from .fuzz_wire import SK, Recorder, check_shape, exchange, frame, recording, sign

EXAMPLES = int(os.environ.get("REFERENCE_FUZZ_EXAMPLES", "200"))
BUCKET = "fuzz-bucket"
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))


def rss_mb() -> float:
    """This process's resident set, in MB (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Fuzzed:
    """A running server of one dialect, its bug recorder, and the run's figures."""

    def __init__(self, dialect: str, recorder: Recorder) -> None:
        self.server = ReferenceServer(credentials={AK: SK}, dialect=dialect,
                                      body_deadline_s=2.0).start()
        self.dialect = dialect
        self.recorder = recorder
        self.stats: Counter[str] = Counter()
        self.worst_s = 0.0
        self.rss_before = rss_mb()
        self.upload_id = ""

    def figures(self) -> dict[str, object]:
        """What the run saw, for the slow mode's stats file."""
        return {"dialect": self.dialect, "inputs": self.stats["inputs"],
                "status_500": self.stats["status 500"], "logged_bugs": len(self.recorder.bugs),
                "worst_seconds": round(self.worst_s, 3), "rss_before_mb": self.rss_before,
                "rss_after_mb": rss_mb(), "requests_served": self.server.request_count,
                "outcomes": dict(self.stats.most_common(40))}


def _seed(server: ReferenceServer) -> str:
    """A bucket owned by AK with CORS rules and an object, so every layer has state to act on."""
    if server.dialect == "s3":
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                        retries={"total_max_attempts": 1, "mode": "standard"})
        s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name=server.region,
                          aws_access_key_id=AK, aws_secret_access_key=SK, config=config)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"]}]})
        s3.put_object(Bucket=BUCKET, Key="obj.txt", Body=b"x")
        return s3.create_multipart_upload(Bucket=BUCKET, Key="obj.txt")["UploadId"]
    import alibabacloud_oss_v2 as oss

    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(AK, SK)
    cfg.region, cfg.endpoint, cfg.retry_max_attempts = server.region, server.endpoint, 1
    client = oss.Client(cfg)
    client.put_bucket(oss.PutBucketRequest(bucket=BUCKET))
    rule = oss.CORSRule(allowed_origins=["*"], allowed_methods=["GET", "PUT"],
                        allowed_headers=["*"])
    client.put_bucket_cors(oss.PutBucketCorsRequest(
        bucket=BUCKET, cors_configuration=oss.CORSConfiguration(cors_rules=[rule])))
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key="obj.txt", body=b"x"))
    started = client.initiate_multipart_upload(
        oss.InitiateMultipartUploadRequest(bucket=BUCKET, key="obj.txt"))
    return str(started.upload_id)


@pytest.fixture(scope="module", params=["oss", "s3"])
def fuzzed(request: pytest.FixtureRequest) -> Iterator[Fuzzed]:
    with recording() as recorder:
        target = Fuzzed(request.param, recorder)
        try:
            target.upload_id = _seed(target.server)
            yield target
        finally:
            _finish(target)


def _finish(target: Fuzzed) -> None:
    try:
        stats_path = os.environ.get("REFERENCE_FUZZ_STATS")
        if stats_path:
            with open(stats_path, "a", encoding="utf-8") as out:
                out.write(json.dumps(target.figures()) + "\n")
    finally:
        target.server.stop()


def _one(target: Fuzzed, raw: RawRequest) -> None:
    server = target.server
    seen = len(target.recorder.bugs)
    headers = sign(raw, target.dialect, server.region, f"127.0.0.1:{server.port}")
    answer = exchange(server.port, raw.method, frame(raw, headers))
    target.stats["inputs"] += 1
    target.stats[f"status {answer.status}"] += 1
    target.worst_s = max(target.worst_s, answer.seconds)
    code = check_shape(answer, target.dialect, raw)
    if code:
        target.stats[f"code {code}"] += 1
    new = target.recorder.bugs[seen:]
    assert not new, logging.Formatter().format(new[0])  # the bug's message and traceback
    assert server._thread is not None and server._thread.is_alive()


def test_hostile_requests_get_a_dialect_shaped_answer_below_500(fuzzed: Fuzzed) -> None:
    @given(data=raw_requests(BUCKET, fuzzed.upload_id))
    @FUZZ_SETTINGS
    def fuzz(data: RawRequest) -> None:
        _one(fuzzed, data)

    fuzz()
    # Still serving, and the garbage did not leave threads behind beyond the idle keep-alives.
    answer = exchange(fuzzed.server.port, "GET", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.status == 403 and fuzzed.stats["inputs"] >= EXAMPLES
    assert threading.active_count() < 200
    assert fuzzed.stats["status 500"] == 0 and not fuzzed.recorder.bugs
