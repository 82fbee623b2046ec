"""Process helpers for the multi-process targets (SeaweedFS, Ceph RGW): ports, polling, stopping.

Each server here runs in its own session (process group), so stopping it by its PID also ends any
child it forked. Readiness is always polled against a deadline: never a blind sleep.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from conformance.dialects.s3 import S3Dialect
from conformance.targets import ephemeral_bucket_name
from tests.targets.servers import Server, _die_with_parent, _Output

T = TypeVar("T")
NEVER = re.compile(r"(?!)")  # a ready-line pattern that never matches


def free_ports(count: int) -> list[int]:
    """`count` distinct ports the kernel reports free on 127.0.0.1 right now.

    The sockets stay bound until all are picked, so the kernel never hands one out twice.
    """
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def poll(probe: Callable[[], T | None], deadline: float, what: str,
         alive: Callable[[], str | None] = lambda: None) -> T:
    """Call `probe` until it returns something other than None, or raise at `deadline`.

    `alive` returns a message when a process the wait depends on has died (fail at once).
    """
    delay, last = 0.05, "no answer"
    while True:
        dead = alive()
        if dead:
            raise RuntimeError(f"{what}: {dead}")
        try:
            value = probe()
            if value is not None:
                return value
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"; kept for the message
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() + delay > deadline:
            raise RuntimeError(f"{what}: not ready in time (last: {last})")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


class Proc:
    """A server process in its own session, its output pumped to a ring buffer."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.popen = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        self.output = _Output(self.popen, NEVER, name)

    @property
    def pid(self) -> int:
        """The process id (also its process group id)."""
        return self.popen.pid

    def dead(self) -> str | None:
        """A one-line message if the process has exited, else None."""
        code = self.popen.poll()
        if code is None:
            return None
        return f"{self.name} exited with {code}: {self.output.tail()}"

    def stop(self, term_wait: float) -> None:
        """SIGTERM to its group, SIGKILL to the group after `term_wait` seconds."""
        for sig, wait in ((signal.SIGTERM, term_wait), (signal.SIGKILL, 5.0)):
            if self.popen.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(wait)
        with contextlib.suppress(ProcessLookupError):  # children left behind by a clean exit
            os.killpg(self.pid, signal.SIGKILL)
        self.output.close()


@contextlib.contextmanager
def stopping(procs: list[Proc], term_wait: float) -> Iterator[list[Proc]]:
    """Yield `procs` (appended to while starting); on exit stop them, last started first."""
    try:
        yield procs
    finally:
        for proc in reversed(procs):
            proc.stop(term_wait)


def bucket_round_trip(server: Server) -> bool | None:
    """True once a new bucket takes an object (the server can store data); both removed."""
    s3 = S3Dialect(server.target(), server.credentials, timeout=30)
    bucket = ephemeral_bucket_name("ready")
    try:
        if not s3.create_bucket(bucket).ok:
            return None
        stored = s3.put_object(bucket, "ready", b"x").ok
        s3.delete_object(bucket, "ready")
        return True if s3.delete_bucket(bucket).ok and stored else None
    finally:
        s3.close()


def finish(proc: subprocess.Popen, timeout: float) -> str:
    """The output of a process the test started, once it has exited (killed if it does not)."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise
    return out
