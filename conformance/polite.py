"""Politeness to real endpoints: a request-rate ceiling and bounded retries with backoff.

A 503, SlowDown or a reset connection says nothing about CORS conformance; retrying it (a few
times, backing off) keeps a busy endpoint from turning into false deviations.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .dialects.base import CallResult
from .errors import ProvisioningError
from .exchange import Exchange

T = TypeVar("T")
RETRY_STATUSES = {500, 502, 503, 504}
RETRY_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"}
ATTEMPTS = 3
BACKOFF_S = 0.2  # doubled after each attempt: 0.2 s, 0.4 s
_RESET_WORDS = ("reset", "RemoteDisconnected", "BrokenPipe", "timed out")


class RateLimiter:
    """At most `max_rps` requests a second (0: no limit), shared by every caller."""

    def __init__(self, max_rps: float = 0) -> None:
        self._interval = 1.0 / max_rps if max_rps > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next request may go."""
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)


def retryable_call(result: Any) -> bool:
    """A management answer worth another try."""
    results = result if isinstance(result, tuple) else (result,)
    call = next((r for r in results if isinstance(r, CallResult)), None)
    return call is not None and (call.status in RETRY_STATUSES or call.code in RETRY_CODES)


def retryable_exchange(ex: Exchange) -> bool:
    """A probe answer that is an availability problem, not a CORS verdict."""
    if ex.error:
        return any(word in ex.error for word in _RESET_WORDS)
    return ex.status == 503


def with_retries(fn: Callable[[], T], retryable: Callable[[T], bool], limiter: RateLimiter,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    """Call `fn` (rate-limited) up to ATTEMPTS times while its answer is retryable."""
    delay = BACKOFF_S
    for attempt in range(1, ATTEMPTS + 1):
        limiter.wait()
        try:
            answer = fn()
        except ProvisioningError as exc:  # transport failures of management calls
            if attempt == ATTEMPTS or not any(w in str(exc) for w in _RESET_WORDS):
                raise
        else:
            if attempt == ATTEMPTS or not retryable(answer):
                return answer
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


class PoliteDialect:
    """Wraps a Dialect: every call rate-limited and retried like `with_retries`."""

    def __init__(self, inner: Any, limiter: RateLimiter) -> None:
        self._inner, self._limiter = inner, limiter

    @property
    def log(self) -> list[Exchange]:
        """The wrapped dialect's exchange log."""
        return self._inner.log

    def close(self) -> None:
        """Close the wrapped dialect."""
        self._inner.close()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            return with_retries(lambda: method(*args, **kwargs), retryable_call, self._limiter)

        return call
