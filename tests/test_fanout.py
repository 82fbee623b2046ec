"""FanOut: a configuration's reads go out together, bounded, and never outlive it."""

import threading
import time

from conformance.cases.model import CorsConfig, CorsRule, ProbeRequest
from conformance.fanout import FanOut
from conformance.reference.service import Service
from conformance.runner import Runner, Settings
from conformance.targets import Target


class SlowSend:
    """A send that takes `seconds` and records how many calls overlapped."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds, self.lock = seconds, threading.Lock()
        self.in_flight = self.most = 0
        self.finished: list[object] = []

    def __call__(self, req: object) -> str:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(self.seconds)
        with self.lock:
            self.in_flight -= 1
            self.finished.append(req)
        return f"answer to {req}"


def test_requests_go_out_together_but_never_more_than_the_width():
    send, requests = SlowSend(), [f"req{i}" for i in range(20)]
    fan = FanOut(send, width=4)
    assert fan.submit(requests) == 20
    assert [fan.take(r) for r in requests] == [f"answer to {r}" for r in requests]
    assert send.most == 4
    fan.close()


def test_an_answer_is_claimed_once_and_unknown_requests_are_not_answered():
    fan = FanOut(SlowSend(0), width=2)
    fan.submit(["a"])
    assert fan.take("a") == "answer to a"
    assert fan.take("a") is None  # the item sends it itself from now on
    assert fan.take("never submitted") is None
    fan.close()


def test_width_one_sends_nothing_ahead():
    send = SlowSend(0)
    fan = FanOut(send, width=1)
    assert fan.submit(["a", "b"]) == 0
    assert fan.take("a") is None and send.finished == []
    fan.close()


def test_drain_waits_for_requests_in_flight_and_cancels_the_rest():
    send = SlowSend(0.05)
    fan = FanOut(send, width=2)
    fan.submit([f"req{i}" for i in range(10)])
    time.sleep(0.01)  # two are on the wire now
    fan.drain()
    assert send.in_flight == 0  # nothing may still be answered under the next configuration
    assert 2 <= len(send.finished) < 10
    assert fan.take("req9") is None
    fan.close()


def test_the_runner_lets_no_read_outlive_its_configuration(monkeypatch):
    """Reads sent ahead for configuration A are all answered before B is put, claimed or not."""
    handled: list[str] = []
    original = Service.handle

    def recording(self, request, failure=None):
        response = original(self, request, failure)
        handled.append(f"{request.method} {dict(request.query).get('cors') is not None}")
        return response

    monkeypatch.setattr(Service, "handle", recording)
    runner = Runner(Settings(target=Target(), latency_ms=20, concurrency=2))
    rule = CorsRule(allowed_origins=("https://a.example",), allowed_methods=("GET",))
    reads = [ProbeRequest(origin=f"https://o{i}.example", request_method="GET") for i in range(8)]
    try:
        assert runner.apply(CorsConfig(rules=(rule,)), reads).error is None
        handled.append("-- B --")
        assert runner.apply(CorsConfig(rules=(rule, rule))).error is None  # none was claimed
    finally:
        runner.stop()
    put_b = handled.index("PUT True", handled.index("-- B --"))
    assert "OPTIONS False" not in handled[put_b:]  # every read sent ahead was answered under A
    assert 2 <= handled[:put_b].count("OPTIONS False") < 8  # those not yet sent were cancelled


def test_a_fast_endpoint_gets_its_reads_one_at_a_time(monkeypatch):
    """Below FAN_OUT_MIN_RTT_MS a thread hand-off costs more than it saves."""
    monkeypatch.setattr("conformance.runner.FAN_OUT_MIN_RTT_MS", float("inf"))  # any RTT is fast
    runner = Runner(Settings(target=Target(), latency_ms=0, concurrency=8))
    rule = CorsRule(allowed_origins=("https://a.example",), allowed_methods=("GET",))
    reads = [ProbeRequest(origin="https://a.example", request_method="GET")]
    try:
        assert runner.apply(CorsConfig(rules=(rule,)), reads).error is None
        assert not [t for t in threading.enumerate() if t.name.startswith("conformance-fanout")]
        assert runner.fire(reads[0]).status == 200  # sent now, by the item itself
    finally:
        runner.stop()
