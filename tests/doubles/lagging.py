"""A target that applies CORS changes late, or never: the reference behind a delaying proxy.

Put/DeleteBucketCors are answered at once by a *shadow* reference (so a value the reference
refuses is still refused, with its real answer), while the upstream reference, which answers
everything else (GetBucketCors and every preflight), receives the same signed request only
`lag_s` later, or never. Until then both kinds of reads see the configuration from before,
as on an eventually consistent cluster. Bucket creation and deletion go to both servers, so
the shadow knows the buckets and their owner.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from tests.doubles.servers import AnswerHandler, _Server, send_upstream

INVALID_ARGUMENT = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>InvalidArgument</Code>"
                    b"<Message>This wildcard form is not supported.</Message></Error>")
Request = tuple[str, str, list[tuple[str, str]], bytes]  # method, path, headers, body


def _send(netloc: str, request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
    return send_upstream(netloc, *request)


def _kind(method: str, path: str) -> str:
    """'cors' for a CORS change, 'bucket' for bucket creation/deletion, else 'read'."""
    parts = urlsplit(path)
    if method in ("PUT", "DELETE") and "cors" in parse_qs(parts.query, keep_blank_values=True):
        return "cors"
    if method in ("PUT", "DELETE") and not parts.query and parts.path.strip("/").count("/") == 0:
        return "bucket"
    return "read"


class LaggingProxy(_Server):
    """`with LaggingProxy(upstream, shadow, lag_s=1.5) as proxy: proxy.endpoint`.

    lag_s=None: changes are acknowledged and never applied. `refuse(body)`: a PutBucketCors
    body the target refuses (400 InvalidArgument), as a clone with its own validation would.
    """

    def __init__(self, upstream: str, shadow: str, lag_s: float | None,
                 refuse: Callable[[bytes], bool] | None = None) -> None:
        self.refuse = refuse
        self.upstream = urlsplit(upstream).netloc
        self.shadow = urlsplit(shadow).netloc
        self.lag_s = lag_s
        self.changes = 0  # CORS changes acknowledged
        self._due: queue.Queue[tuple[float, Request] | None] = queue.Queue()
        self._applier = threading.Thread(target=self._apply_late, daemon=True)
        super().__init__(_Handler)

    def handle(self, request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer one request as a lagging target would."""
        kind = _kind(request[0], request[1])
        if kind == "bucket":
            _send(self.shadow, request)
            return _send(self.upstream, request)
        if kind == "read":
            return _send(self.upstream, request)
        if self.refuse is not None and request[0] == "PUT" and self.refuse(request[3]):
            return 400, [("Content-Type", "application/xml")], INVALID_ARGUMENT
        answer = _send(self.shadow, request)
        if 200 <= answer[0] < 300:
            self.changes += 1
            if self.lag_s is not None:
                self._due.put((time.monotonic() + self.lag_s, request))
        return answer

    def _apply_late(self) -> None:
        """Send each acknowledged change upstream once its lag has passed, in order."""
        while True:
            entry = self._due.get()
            if entry is None:
                return
            due, request = entry
            time.sleep(max(0.0, due - time.monotonic()))
            _send(self.upstream, request)

    def __enter__(self) -> LaggingProxy:
        self._applier.start()
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._due.put(None)
        super().__exit__(*exc)
        self._applier.join(5)


class _Handler(AnswerHandler):
    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = (self.command, self.path, list(self.headers.items()), body)
        self._answer(*self.server.owner.handle(request))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = _serve
