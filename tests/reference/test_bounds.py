"""Bodies are bounded in bytes and time, memory stays flat under garbage, and the catch-all 500
is kept for genuine bugs only (the corpus never reaches it).
"""

from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reference import ReferenceServer
from conformance.reference.service import Service

from .fuzz_strategies import AK
from .fuzz_wire import SK, recording, send
from .test_fuzz_reference import rss_mb

DEADLINE_S = 1.5
BUCKET = "bound-bucket"


@pytest.fixture(scope="module", params=["oss", "s3"])
def served(request: pytest.FixtureRequest) -> Iterator[ReferenceServer]:
    with ReferenceServer(credentials={AK: SK}, dialect=request.param,
                         body_deadline_s=DEADLINE_S) as server:
        send(server, "PUT", f"/{BUCKET}/", signed=True)
        yield server


def _open(server: ReferenceServer, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(head)
    return sock


def _status(sock: socket.socket) -> tuple[int, bytes, float]:
    """Read one answer on an open connection; (status, raw bytes, seconds waited)."""
    started, data = time.monotonic(), b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]), data, time.monotonic() - started


def _feed(sock: socket.socket, piece: bytes, pause_s: float, limit: int) -> threading.Thread:
    """Keep sending `piece` every `pause_s` until `limit` bytes or the server stops reading."""
    def run() -> None:
        sent = 0
        try:
            while sent < limit:
                sock.sendall(piece)
                sent += len(piece)
                time.sleep(pause_s)
        except OSError:
            pass  # refused and closed: what the test expects

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


PUT = b"PUT /" + BUCKET.encode() + b"/k HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize("start", [b"-1\r\n", b"ffffffffffffffffff\r\n", b"5 5\r\n", b"5"])
def test_broken_chunk_sizes_are_refused_while_the_client_is_still_sending(
        served: ReferenceServer, start: bytes) -> None:
    """Never read to EOF: the answer comes while the connection is open and the body flows."""
    sock = _open(served, PUT + b"Transfer-Encoding: chunked\r\n\r\n" + start)
    feeder = _feed(sock, b"5" * 4096, 0.005, 8 * 1024 * 1024)
    status, data, seconds = _status(sock)
    assert status == 400 and b"InvalidArgument" in data and seconds < DEADLINE_S
    sock.close()
    feeder.join(5)


@pytest.mark.parametrize("head", [
    PUT + b"Content-Length: 100000\r\n\r\n",
    PUT + b"Transfer-Encoding: chunked\r\n\r\n186a0\r\n",
])
def test_a_dripping_body_ends_in_request_timeout_at_the_deadline(
        served: ReferenceServer, head: bytes) -> None:
    sock = _open(served, head)
    feeder = _feed(sock, b"a", 0.1, 100_000)
    status, data, seconds = _status(sock)
    assert status == 400 and b"RequestTimeout" in data
    assert DEADLINE_S - 0.2 < seconds < DEADLINE_S + 2
    sock.close()
    feeder.join(5)


def test_an_endless_chunked_body_stops_at_the_cap_or_the_deadline(
        served: ReferenceServer) -> None:
    sock = _open(served, PUT + b"Transfer-Encoding: chunked\r\n\r\n")
    feeder = _feed(sock, b"10000\r\n" + b"z" * 65536 + b"\r\n", 0, 1 << 40)
    status, data, seconds = _status(sock)
    assert status == 400 and (b"EntityTooLarge" in data or b"RequestTimeout" in data)
    assert seconds < DEADLINE_S + 2
    sock.close()
    feeder.join(10)


def test_a_dripping_request_head_is_cut_off_at_its_deadline() -> None:
    """Slowloris: a request line sent a byte at a time ends at the head deadline."""
    with ReferenceServer(credentials={AK: SK}, head_deadline_s=1.0) as server:
        sock = _open(server, b"G")
        feeder = _feed(sock, b"E", 0.1, 10_000)
        started = time.monotonic()
        try:
            closed = sock.recv(1) == b""
        except ConnectionResetError:
            closed = True
        assert closed and time.monotonic() - started < 3
        sock.close()
        feeder.join(5)
        # A client that does not drip still gets its answers on a keep-alive connection.
        keep = _open(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _status(keep)[0] == 403
        time.sleep(0.5)
        keep.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _status(keep)[0] == 403
        keep.close()


HOSTILE = [
    ("GET", f"/{BUCKET}/o", f"OSSAccessKeyId={AK}&Signature=x&Expires={'9' * 5000}", b"", False),
    ("GET", f"/{BUCKET}/o", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=%C2%B2", b"", False),
    ("PUT", f"/{BUCKET}/", "cors", b'<?xml version="1.0" encoding="x-bogus-1"?><a/>', True),
    ("PUT", f"/{BUCKET}/", "cors", b"<CORSConfiguration>" + b"<x>" * 5000, True),
    ("PUT", f"/{BUCKET}/k", "", b"z" * (1 << 20), False),
]


def test_memory_stays_flat_under_hostile_requests(served: ReferenceServer) -> None:
    """RSS after 10 rounds of the hostile set (1 MB bodies included) is near RSS after one."""
    rounds = int(os.environ.get("REFERENCE_HAMMER_ROUNDS", "10"))
    framings = ["length", "chunk-negative", "chunk-unterminated", "chunked", "short"]

    def hammer() -> None:
        for method, path, query, body, signed in HOSTILE:
            for framing in framings:
                answer = send(served, method, path, query, body=body, signed=signed,
                              framing=framing)
                assert answer.status < 500

    hammer()
    before = rss_mb()
    for _ in range(rounds):
        hammer()
    after = rss_mb()
    figures = {"dialect": served.dialect, "requests": rounds * len(HOSTILE) * len(framings),
               "rss_before_mb": round(before, 1), "rss_after_mb": round(after, 1)}
    if os.environ.get("REFERENCE_FUZZ_STATS"):
        with open(os.environ["REFERENCE_FUZZ_STATS"], "a", encoding="utf-8") as out:
            out.write(json.dumps({"hammer": figures}) + "\n")
    assert after - before < 48, figures


def test_a_genuine_bug_is_still_a_500_in_the_dialects_shape(
        served: ReferenceServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catch-all stays: a handler that raises answers InternalError and logs the bug."""
    def broken(service: Service, request: object, principal: object) -> None:
        raise RuntimeError("a genuine bug")

    service = served._service
    monkeypatch.setitem(service.routes, ("DELETE", "object", None), broken)
    with recording() as recorder:
        try:
            answer = send(served, "DELETE", f"/{BUCKET}/k", signed=True)
        except AssertionError as refused:  # check_shape refuses any 500: that is the point
            assert "status=500" in str(refused)
        else:
            pytest.fail(f"a raising handler answered {answer.status}")
    assert [r.getMessage() for r in recorder.bugs] == [
        f"reference endpoint failed on DELETE /{BUCKET}/k"]


def test_the_oss_corpus_never_reaches_the_catch_all(tmp_path: Path) -> None:
    with recording() as recorder:
        code = main(["run", "--reports", str(tmp_path / "reports"), "-q"], io.StringIO(),
                    io.StringIO())
    assert code == 0 and [r.getMessage() for r in recorder.bugs] == []
