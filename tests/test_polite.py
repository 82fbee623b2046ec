import time

import pytest

from conformance.dialects.base import CallResult
from conformance.errors import ProvisioningError
from conformance.exchange import Exchange
from conformance.polite import (
    ATTEMPTS,
    PoliteDialect,
    RateLimiter,
    retryable_call,
    retryable_exchange,
    with_retries,
)


def answers(*items):
    """A callable returning (or raising) the given items in turn, counting calls."""
    seq = list(items)

    def fn():
        fn.calls += 1
        item = seq.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    fn.calls = 0
    return fn


def ex(status=200, error=None):
    e = Exchange("OPTIONS", "u", "/", [], status)
    e.error = error
    return e


@pytest.mark.parametrize("result, retry", [
    (CallResult(503, "SlowDown"), True), (CallResult(500, "InternalError"), True),
    (CallResult(400, "SlowDown"), True), (CallResult(403, "AccessDenied"), False),
    (CallResult(200), False), ((CallResult(503), None), True), ((CallResult(404), None), False),
])
def test_which_management_answers_are_retried(result, retry):
    assert retryable_call(result) is retry


@pytest.mark.parametrize("exchange, retry", [
    (ex(503), True), (ex(403), False), (ex(200), False), (ex(500), False),
    (ex(0, "ConnectionResetError: [Errno 104] Connection reset by peer"), True),
    (ex(0, "ConnectionRefusedError: refused"), False),
])
def test_which_probe_answers_are_retried(exchange, retry):
    assert retryable_exchange(exchange) is retry


def test_retries_back_off_and_stop_at_the_first_good_answer():
    sleeps = []
    fn = answers(CallResult(503, "SlowDown"), CallResult(503, "SlowDown"), CallResult(200))
    assert with_retries(fn, retryable_call, RateLimiter(), sleeps.append) == CallResult(200)
    assert fn.calls == 3 and sleeps == [0.2, 0.4]


def test_retries_are_bounded_and_the_last_answer_is_kept():
    fn = answers(*[CallResult(503, "SlowDown")] * (ATTEMPTS + 2))
    result = with_retries(fn, retryable_call, RateLimiter(), lambda s: None)
    assert result.status == 503 and fn.calls == ATTEMPTS


def test_a_reset_connection_is_retried_but_other_transport_errors_raise():
    fn = answers(ProvisioningError("Connection reset by peer"), CallResult(200))
    assert with_retries(fn, retryable_call, RateLimiter(), lambda s: None).ok
    with pytest.raises(ProvisioningError):
        with_retries(answers(ProvisioningError("Name or service not known")), retryable_call,
                     RateLimiter(), lambda s: None)


def test_the_rate_limiter_spaces_requests():
    limiter = RateLimiter(max_rps=50)  # 20 ms apart
    start = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert time.monotonic() - start >= 0.1 - 0.005
    unlimited = RateLimiter(0)
    start = time.monotonic()
    for _ in range(1000):
        unlimited.wait()
    assert time.monotonic() - start < 0.05


def test_the_polite_dialect_retries_each_call():
    class Flaky:
        log = []

        def __init__(self):
            self.calls = 0

        def put_cors(self, bucket, config):
            self.calls += 1
            return CallResult(503, "SlowDown") if self.calls == 1 else CallResult(200)

    inner = Flaky()
    assert PoliteDialect(inner, RateLimiter()).put_cors("b", None).ok and inner.calls == 2
