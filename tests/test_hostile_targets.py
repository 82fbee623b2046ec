"""A hostile target never hangs a run, never crashes it, and never bloats its reports.

Real sockets on 127.0.0.1: tests.doubles.hostile.HostileProxy forwards the signed management
calls to the embedded reference and answers the probes as its mode says (drip the body or the
head, 10,000 header lines, 95 header values of 60 KiB, reset mid-answer, never answer).
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from conformance import cli, limits
from conformance.cases.model import CorsConfig, CorsRule, ProbeRequest
from conformance.dialects.oss import OssDialect
from conformance.dialects.s3 import S3Dialect
from conformance.errors import ProvisioningError
from conformance.probe import Prober
from conformance.reference import ReferenceServer
from conformance.runner import SILENT_LIMIT
from conformance.targets import Credentials, Target
from tests.conftest import CANARY_KEY, CANARY_SECRET, REPO
from tests.doubles.hostile import MODES, HostileProxy
from tests.doubles.servers import RawCaptureServer

SILENT_MODES = ("drip-head", "silent")  # no status line ever arrives
DEADLINE = 1.0  # seconds: the exchange deadline these tests run with
PREFLIGHT = ProbeRequest(origin="http://www.example.com", request_method="GET")
# A corpus subset: two case files, 9 probes, two configurations.
SUBSET = ("preflight/options-page-sample.yaml", "preflight/star-origin.yaml")
# What each report may weigh per item: the caps of limits.py, escaped (HTML escapes a byte of
# target text to up to 10 in report.html's JSON blob), plus the item's own fixed text.
ITEM_BUDGET = 256 * 1024
REPORT_BASE = 2 * 1024 * 1024  # a report's fixed part (report.html's script and style)


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every exchange of the test ends within DEADLINE seconds."""
    monkeypatch.setattr(limits, "EXCHANGE_DEADLINE_S", DEADLINE)


@pytest.fixture(scope="module")
def reference():
    """The embedded reference, behind every proxy of this module."""
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref:
        yield ref


def _probe(mode: str, reference: ReferenceServer) -> tuple[object, float]:
    with HostileProxy(reference.endpoint, mode, drip_interval=0.2) as proxy:
        start = time.monotonic()
        ex = Prober(timeout=5).fire(f"{proxy.endpoint}/bucket/key", PREFLIGHT)
        return ex, time.monotonic() - start


@pytest.mark.parametrize("mode", ["drip", "drip-head", "silent"])
def test_a_slow_answer_ends_at_the_total_deadline_not_per_read(
        mode, reference, short_deadline):
    ex, took = _probe(mode, reference)
    # a byte every 0.2 s never trips the 5 s read timeout: only the total deadline stops it
    assert ex.error is not None and "deadline" in ex.error
    assert DEADLINE <= took < DEADLINE + 1.0


def test_10000_header_lines_are_kept_to_200_and_the_rest_counted(reference, short_deadline):
    ex, _ = _probe("many-headers", reference)
    assert ex.error is None and ex.status == 200 and ex.body == b"ok"
    assert len(ex.response_headers) == limits.MAX_HEADERS
    assert ex.header("Access-Control-Allow-Origin") == "*"  # the first lines are all kept
    assert ex.truncated["headers"] == 10_000 + 2 - limits.MAX_HEADERS  # + framing line
    text = ex.transcript()
    assert "9,802 header line(s) dropped" in text  # the 200 kept fit the display caps
    assert len(text) < limits.SHOWN_HEADERS * 2 + limits.SHOWN_BODY + 2048


def test_huge_header_values_and_body_are_cut_to_the_caps_and_marked(reference, short_deadline):
    ex, _ = _probe("huge-values", reference)
    assert ex.error is None and ex.status == 200
    assert all(len(v) <= limits.HEADER_VALUE_LIMIT for _, v in ex.response_headers)
    assert sum(len(k) + len(v) for k, v in ex.response_headers) <= limits.HEADERS_TOTAL_LIMIT
    assert len(ex.reason) <= limits.STATUS_LINE_LIMIT
    assert len(ex.body) == limits.BODY_LIMIT and ex.body_truncated
    assert ex.truncated["body_bytes"] == 100 * 1024 - limits.BODY_LIMIT
    assert ex.truncated["header_bytes"] > 95 * 59 * 1024 - limits.HEADERS_TOTAL_LIMIT
    shown = ex.to_dict()["response"]
    assert all(len(v) <= limits.SHOWN_VALUE + 40 for _, v in shown["headers"])
    assert shown["body"].endswith(f"[cut: {limits.BODY_LIMIT - limits.SHOWN_BODY:,} more "
                                  "characters]")


def test_a_reset_mid_answer_is_a_transport_error(reference, short_deadline):
    ex, took = _probe("reset", reference)
    assert ex.error is not None and took < DEADLINE + 1.0


def _target(endpoint: str, dialect: str) -> Target:
    return Target(name="hostile", endpoint=endpoint, dialect=dialect)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect_class", [OssDialect, S3Dialect])
@pytest.mark.parametrize("mode", ["drip", "silent", "reset"])
def test_a_management_call_ends_at_the_deadline_with_a_one_line_error(
        mode, dialect_class, reference, short_deadline):
    with HostileProxy(reference.endpoint, mode, everything=True,
                      drip_interval=0.2) as proxy:
        name = "s3" if dialect_class is S3Dialect else "oss"
        dialect = dialect_class(_target(proxy.endpoint, name), Credentials(CANARY_KEY,
                                                                            CANARY_SECRET))
        start = time.monotonic()
        try:
            with pytest.raises(ProvisioningError) as raised:
                dialect.put_cors("bucket", CorsConfig(rules=(CorsRule(
                    allowed_origins=("*",), allowed_methods=("GET",)),)))
        finally:
            dialect.close()
    assert time.monotonic() - start < 2 * DEADLINE + 1.0  # at most a stale-socket retry
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("mode", ["many-headers", "huge-values"])
@pytest.mark.parametrize("dialect_class", [OssDialect, S3Dialect])
def test_a_management_answer_keeps_the_header_caps(mode, dialect_class, reference,
                                                   short_deadline):
    with HostileProxy(reference.endpoint, mode, everything=True) as proxy:
        name = "s3" if dialect_class is S3Dialect else "oss"
        dialect = dialect_class(_target(proxy.endpoint, name), Credentials(CANARY_KEY,
                                                                            CANARY_SECRET))
        try:
            dialect.delete_cors("bucket")  # a 200 with no body: whatever the SDK makes of it
        except ProvisioningError:
            pass
        finally:
            dialect.close()
    (ex,) = dialect.log
    assert len(ex.response_headers) <= limits.MAX_HEADERS
    assert sum(len(k) + len(v) for k, v in ex.response_headers) <= limits.HEADERS_TOTAL_LIMIT
    assert ex.truncated.get("headers", 0) + ex.truncated.get("header_bytes", 0) > 0


def _run(tmp_path: Path, endpoint: str) -> tuple[int, str, float]:
    cases = tmp_path / "cases"
    for rel in SUBSET:
        dest = cases / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "cases" / rel, dest)
    out = io.StringIO()
    start = time.monotonic()
    code = cli.main(["run", str(cases), "--endpoint", endpoint,
                     "--reports", str(tmp_path / "reports")], stdout=out, stderr=out)
    return code, out.getvalue(), time.monotonic() - start


@pytest.mark.parametrize("mode", MODES)
def test_a_run_against_a_hostile_target_ends_in_time_with_bounded_reports(
        mode, reference, tmp_path, canary_env, short_deadline):
    with HostileProxy(reference.endpoint, mode, drip_interval=0.2) as proxy:
        code, out, took = _run(tmp_path, proxy.endpoint)
        hostile = proxy.hostile_answers
    items = 9
    if mode in SILENT_MODES:  # no answer at all: the run stops after a few, not items × deadline
        assert hostile >= SILENT_LIMIT
        assert code == cli.ExitStatus.TARGET_OR_PROVISIONING_ERROR, out[-3000:]
        assert out.count("the target stopped answering: 3 requests in a row") >= 1
    else:
        assert hostile >= items  # every probe met the hostile answer
        assert code == cli.ExitStatus.CONFORMANCE_FAILURES, out[-3000:]
    assert "Traceback" not in out and "INTERNALERROR" not in out
    # each probe ends by its deadline (a slow one is not retried: the deadline is total)
    assert took < items * DEADLINE + 20
    reports = tmp_path / "reports"
    matrix = tmp_path / "matrix.html"
    assert cli.main(["matrix", str(reports / "results.json"), "--out", str(matrix)],
                    stdout=io.StringIO(), stderr=io.StringIO()) == 0
    sizes = {p.name: p.stat().st_size for p in [*reports.iterdir(), matrix]}
    sizes["terminal"] = len(out.encode())
    assert set(sizes) == {"report.html", "results.json", "junit.xml", "matrix.html", "terminal"}
    for name, size in sizes.items():
        assert size <= items * ITEM_BUDGET + REPORT_BASE, (name, size)
    if mode in ("many-headers", "huge-values"):  # every output says what was not kept
        for text in (out, (reports / "results.json").read_text(), matrix.read_text(),
                     (reports / "report.html").read_text(), (reports / "junit.xml").read_text()):
            assert "answer cut when read" in text or '"truncated": {"header' in text
    if mode == "huge-values":  # and what it does not show of what was kept
        assert "[cut: " in out


def test_docs_limits_lists_every_cap_with_its_value():
    text = (REPO / "docs" / "limits.md").read_text()
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", text, re.M))
    units = {"s": 1, "KiB": 1024, "MiB": 1024 * 1024, "": 1}
    caps = {name: value for name, value in vars(limits).items()
            if name.isupper() and isinstance(value, (int, float))}
    assert set(rows) == set(caps)
    for name, shown in rows.items():
        number, _, unit = shown.strip().partition(" ")
        assert float(number) * units[unit] == caps[name], name


FOLDED_CHUNKED = (b"HTTP/1.1 100 Continue\r\nX-Interim: dropped\r\n\r\n"
                  b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: http://a\r\n"
                  b"X-Folded: one\r\n two\r\nno colon here\r\nVary: Origin\r\n"
                  b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                  b"2\r\nok\r\n3\r\n!!!\r\n0\r\n\r\n")


def test_the_head_filter_keeps_what_http_client_would_and_frames_the_body():
    with RawCaptureServer(FOLDED_CHUNKED) as server:
        ex = Prober(timeout=5).fire(server.endpoint + "/b/k", PREFLIGHT)
    assert ex.error is None and ex.status == 200 and ex.body == b"ok!!!"
    assert ex.response_headers == [
        ("Access-Control-Allow-Origin", "http://a"), ("X-Folded", "one\r\n two"),
        ("Vary", "Origin"), ("Transfer-Encoding", "chunked"), ("Connection", "close")]
    assert ex.truncated == {"malformed": 1}  # the line without a colon, counted


def test_a_body_sent_after_connection_close_is_read_whole(reference):
    # http.client closes its connection as soon as the head says `Connection: close`; the
    # answer's own reference to the socket must keep it open until the body is read.
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\n")
            time.sleep(0.2)
            conn.sendall(b"late")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        ex = Prober(timeout=5).fire(f"http://127.0.0.1:{port}/b/k", PREFLIGHT)
    finally:
        thread.join(5)
        listener.close()
    assert ex.error is None and ex.body == b"late"
