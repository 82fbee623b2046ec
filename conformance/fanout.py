"""Fire the preflights of one configuration together, ahead of the items that check them.

Against an endpoint tens of milliseconds away the round trip is the cost of a run. Once a
configuration is in effect its preflights are independent reads, so they go out together, at
most `width` at a time, and each item then checks an answer that is already there (or waits
for it). Which requests qualify is the caller's decision (conformance.items.group_reads):
preflights, and GET/HEAD when nothing in the group writes; never sequence steps, which change
the configuration. Before the configuration changes, every answer still on its way is awaited
(`drain`), so no request is ever answered under the next configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from .cases.model import ProbeRequest
from .exchange import Exchange

DEFAULT_WIDTH = 8


class FanOut:
    """A bounded pool of in-flight preflights, each claimed once by the item that owns it."""

    def __init__(self, send: Callable[[ProbeRequest], Exchange], width: int = DEFAULT_WIDTH
                 ) -> None:
        self._send = send
        self.width = width
        self._pool: ThreadPoolExecutor | None = None
        # keyed by id(): the request object itself is kept alive beside its future
        self._pending: dict[int, tuple[ProbeRequest, Future[Exchange]]] = {}

    @property
    def enabled(self) -> bool:
        """A width of 1 means one request at a time: nothing is sent ahead."""
        return self.width > 1

    def submit(self, requests: Iterable[ProbeRequest]) -> int:
        """Start sending `requests` (reads of the configuration now in effect)."""
        if not self.enabled:
            return 0
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.width, thread_name_prefix="conformance-fanout")
        started = 0
        for req in requests:
            if id(req) not in self._pending:
                self._pending[id(req)] = (req, self._pool.submit(self._send, req))
                started += 1
        return started

    def take(self, req: ProbeRequest) -> Exchange | None:
        """The answer to `req` if it was sent ahead (waiting for it), else None."""
        entry = self._pending.pop(id(req), None)
        return entry[1].result() if entry is not None else None

    def drain(self) -> None:
        """Cancel what has not started and wait for what has: the configuration will change."""
        futures = [future for _, future in self._pending.values()]
        self._pending.clear()
        for future in futures:
            future.cancel()
        wait(futures)

    def close(self) -> None:
        """Drain and stop the threads."""
        self.drain()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
