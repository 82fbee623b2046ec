"""ReferenceServer lifecycle, request ids, latency and concurrent use."""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conformance.reference import ReferenceServer

from .helpers import AK, SK, signed


def test_lifecycle_and_endpoint() -> None:
    srv = ReferenceServer(credentials={AK: SK})
    with pytest.raises(RuntimeError):
        _ = srv.endpoint
    srv.start()
    try:
        assert srv.port > 0 and srv.endpoint == f"http://127.0.0.1:{srv.port}"
        with pytest.raises(RuntimeError):
            srv.start()
    finally:
        srv.stop()
    srv.stop()  # idempotent


def test_distinct_ports() -> None:
    with ReferenceServer() as one, ReferenceServer() as two:
        assert one.port != two.port


def test_request_ids_and_count() -> None:
    with ReferenceServer(credentials={AK: SK}) as srv, requests.Session() as session:
        base = srv.endpoint
        responses = [session.options(f"{base}/b/k"), session.get(f"{base}/b/k"),
                     signed(session, "PUT", f"{base}/bkt/"), session.head(f"{base}/")]
        ids = [r.headers["x-oss-request-id"] for r in responses]
        assert all(len(i) == 24 for i in ids) and len(set(ids)) == 4  # OSS-1
        assert srv.request_count == 4


def test_latency_delays_every_answer() -> None:
    with ReferenceServer(latency_ms=150) as srv, requests.Session() as session:
        started = time.monotonic()
        session.options(f"{srv.endpoint}/b/k")
        assert time.monotonic() - started >= 0.15


def test_stop_closes_idle_keep_alive_connections() -> None:
    srv = ReferenceServer().start()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    try:
        conn.request("OPTIONS", "/b/k")
        response = conn.getresponse()
        response.read()
        assert response.status == 400 and not response.will_close  # kept alive
        started = time.monotonic()
        srv.stop()
        assert time.monotonic() - started < 2
        assert conn.sock is not None and conn.sock.recv(1) == b""  # the server hung up
    finally:
        conn.close()


def test_concurrent_requests() -> None:
    workers, per_worker = 8, 12
    with ReferenceServer(credentials={AK: SK}) as srv:
        with requests.Session() as session:
            assert signed(session, "PUT", f"{srv.endpoint}/conc/").status_code == 200
            rules = (b"<CORSConfiguration><CORSRule><AllowedOrigin>http://a.test</AllowedOrigin>"
                     b"<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
            response = signed(session, "PUT", f"{srv.endpoint}/conc/?cors", {}, rules)
            assert response.status_code == 200

        def work(worker: int) -> list[tuple[int, str | None]]:
            seen = []
            with requests.Session() as session:
                for i in range(per_worker):
                    if i % 3 == 0:
                        url = f"{srv.endpoint}/conc/o-{worker}-{i}"
                        response = signed(session, "PUT", url, {}, f"{worker}-{i}".encode())
                    else:
                        origin = "http://a.test" if i % 2 else "http://b.test"
                        response = session.options(f"{srv.endpoint}/conc/k", headers={
                            "Origin": origin, "Access-Control-Request-Method": "GET"})
                    seen.append((response.status_code,
                                 response.headers.get("Access-Control-Allow-Origin")))
            return seen

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = [r for batch in pool.map(work, range(workers)) for r in batch]
        expected = [(200, None) if i % 3 == 0 else
                    (200, "http://a.test") if i % 2 else (403, None)
                    for i in range(per_worker)] * workers
        assert sorted(results, key=str) == sorted(expected, key=str)
        assert srv.request_count == 2 + workers * per_worker
        with requests.Session() as session:
            assert session.get(f"{srv.endpoint}/conc/o-7-9").content == b"7-9"
