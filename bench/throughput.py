"""4. Reference endpoint throughput: granted preflights per second on keep-alive connections.

The endpoint runs alone in its own process (`oss-conformance serve`); the load comes from
separate processes, one keep-alive http.client connection each, closed-loop (the next request
leaves when the answer is in). Only answers completed inside the common measuring window count.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import time
from queue import Empty
from urllib.parse import urlsplit

import requests

from ._proc import BENCH_ENV, BenchError, served
from .replay import Call, sign
from .table import Figure, at_least, info

SECTION = "4. reference endpoint throughput (separate load processes, keep-alive)"
BUCKET = "bench-throughput"
CORS_XML = (b"<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin>"
            b"<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
            b"<AllowedHeader>x-oss-meta-*</AllowedHeader><ExposeHeader>etag</ExposeHeader>"
            b"<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>")
PREFLIGHT = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
             "Access-Control-Request-Headers": "x-oss-meta-author"}


def _provision(endpoint: str) -> None:
    """PutBucket and PutBucketCors, signed like any client would."""
    key, secret = BENCH_ENV["OSS_ACCESS_KEY_ID"], BENCH_ENV["OSS_ACCESS_KEY_SECRET"]
    with requests.Session() as session:
        for call in (Call("PUT", f"/{BUCKET}/", (), b"", True, None),
                     Call("PUT", f"/{BUCKET}/?cors", (), CORS_XML, True, None)):
            headers = sign(call, {"Content-Type": "application/xml"}, "cn-hangzhou", key, secret)
            resp = session.put(endpoint + call.target, data=call.body, headers=headers,
                               timeout=10)
            if resp.status_code != 200:
                raise BenchError(f"provisioning {call.target}: {resp.status_code} {resp.text}")


def _load(endpoint: str, start_at: float, stop_at: float, out: mp.Queue) -> None:
    """One connection, closed loop, until stop_at; report latencies inside the window."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    latencies, bad = [], 0
    path = f"/{BUCKET}/photos/cat.jpg"
    while True:
        sent = time.perf_counter()
        conn.request("OPTIONS", path, headers=PREFLIGHT)
        resp = conn.getresponse()
        resp.read()
        done = time.perf_counter()
        if done >= stop_at:
            break
        if done >= start_at:  # perf_counter is CLOCK_MONOTONIC: one clock for every process
            latencies.append(done - sent)
            bad += resp.status != 200
    conn.close()
    out.put((latencies, bad))


def measure(seconds: float, connections: int) -> list[Figure]:
    """Drive the endpoint from `connections` processes for `seconds` after a short warm-up."""
    ctx = mp.get_context("fork")  # the load processes need nothing but this module
    with served() as endpoint:
        _provision(endpoint)
        queue: mp.Queue = ctx.Queue()
        start_at = time.perf_counter() + 0.5
        stop_at = start_at + seconds
        procs = [ctx.Process(target=_load, args=(endpoint, start_at, stop_at, queue))
                 for _ in range(connections)]
        for p in procs:
            p.start()
        try:
            results = [queue.get(timeout=seconds + 30) for _ in procs]
        except Empty:
            raise BenchError("a load process did not report in time") from None
        finally:
            for p in procs:
                p.join(timeout=10)
                if p.is_alive():
                    p.kill()
                    p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    bad = sum(b for _, b in results)
    if not latencies or bad:
        raise BenchError(f"throughput: {len(latencies)} answers, {bad} not 200")
    rate = len(latencies) / seconds
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    cores = len(os.sched_getaffinity(0))
    return [
        at_least(SECTION, f"granted preflights per second ({connections} connections)", rate,
                 2000, "/s", note=f"{cores} cores on this machine; target stated for 2 cores; "
                                  f"{len(latencies):,} answers in {seconds:g} s"),
        info(SECTION, "latency p50", p50, " ms"),
        info(SECTION, "latency p99", p99, " ms"),
    ]
