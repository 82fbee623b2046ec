"""Real third-party S3 servers on 127.0.0.1, each in its own process, stopped by PID.

Each context manager picks an ephemeral port (`-p 0`), parses the port the server prints, polls
until it answers HTTP, and on exit sends SIGTERM, then SIGKILL after a bounded wait. A missing
runtime is a pytest skip with the command that fixes it.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conformance.targets import Credentials, Target

REPO = Path(__file__).resolve().parents[2]
S3RVER_VERSION = "3.7.1"
S3RVER_DIR = REPO / ".targets" / "s3rver"
S3RVER_JS = S3RVER_DIR / "node_modules" / "s3rver" / "bin" / "s3rver.js"
S3RVER_INSTALL = (f"npm install --prefix .targets/s3rver --no-audit --no-fund "
                  f"s3rver@{S3RVER_VERSION}")
MOTO_VERSION = "5.2.5"
START_TIMEOUT = 30.0  # generous for a cold CI machine; s3rver needs ~0.25 s, moto ~0.5 s here
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Server:
    """A running server: where it listens, how to reach it, and what it cost to start."""

    name: str
    endpoint: str
    pid: int
    credentials: Credentials
    region: str
    started_in: float  # seconds from spawn to the first HTTP answer
    output: collections.deque  # the process's last output lines, for diagnostics

    def target(self, dialect: str = "s3", **overrides: object) -> Target:
        """A Target for this server (path-style, the server's region)."""
        fields: dict = {"name": self.name, "endpoint": self.endpoint, "dialect": dialect,
                        "addressing": "path", "region": self.region}
        fields.update(overrides)
        return Target(**fields)


@contextlib.contextmanager
def s3rver() -> Iterator[Server]:
    """s3rver (npm) with a fresh data directory; credentials S3RVER/S3RVER."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("s3rver needs node (>= 20), which is not on PATH")
    if not S3RVER_JS.is_file():
        pytest.skip(f"s3rver {S3RVER_VERSION} is not installed; run: {S3RVER_INSTALL}")
    with tempfile.TemporaryDirectory(prefix="s3rver-") as data:
        argv = [node, str(S3RVER_JS), "-d", data, "-a", "127.0.0.1", "-p", "0", "--silent"]
        with _spawn("s3rver", argv, dict(os.environ),
                    re.compile(r"S3rver listening on 127\.0\.0\.1:(\d+)"),
                    Credentials("S3RVER", "S3RVER"), "us-east-1") as server:
            yield server


@contextlib.contextmanager
def moto_server() -> Iterator[Server]:
    """moto's server mode in a subprocess, with its global flask-cors layer switched off."""
    missing = [m for m in ("moto", "flask", "flask_cors") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"moto server needs {', '.join(missing)}; run: "
                    f"pip install 'moto[server]=={MOTO_VERSION}'")
    # Without this variable flask-cors adds permissive CORS headers to every answer.
    env = {**os.environ, "MOTO_DISABLE_GLOBAL_CORS": "true"}
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"]
    # moto accepts any key pair; a recognisable one shows up in its logs.
    with _spawn("moto", argv, env, re.compile(r"Running on http://127\.0\.0\.1:(\d+)"),
                Credentials("MOTOKEYID", "moto-secret"), "us-east-1") as server:
        yield server


@contextlib.contextmanager
def localstack() -> Iterator[Server]:
    """LocalStack's S3 (opt-in via $CONFORMANCE_LOCALSTACK_PYTHON; see targets/localstack.py)."""
    from tests.targets import localstack as impl  # lazy: nothing to import unless opted in

    with impl.run() as server:
        yield server


@contextlib.contextmanager
def _spawn(name: str, argv: list[str], env: dict[str, str], ready: re.Pattern[str],
           credentials: Credentials, region: str) -> Iterator[Server]:
    """Start `argv`, wait for its port and first HTTP answer, always stop it by PID."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    output = _Output(proc, ready, name)
    try:
        port = output.port(start + START_TIMEOUT)
        endpoint = f"http://127.0.0.1:{port}"
        _wait_http(proc, endpoint, output, start + START_TIMEOUT)
        yield Server(name, endpoint, proc.pid, credentials, region,
                     time.monotonic() - start, output.lines)
    finally:
        stop_process(proc)
        output.close()


class _Output:
    """Reads the process's output in a thread for its whole life (a full pipe would block the
    server), keeping the last lines and the port from the ready line."""

    def __init__(self, proc: subprocess.Popen, ready: re.Pattern[str], name: str) -> None:
        self.proc, self.ready, self.name = proc, ready, name
        self.lines: collections.deque = collections.deque(maxlen=200)
        self._port: int | None = None
        self._seen = threading.Event()
        self._thread = threading.Thread(target=self._pump, name=f"output-{proc.pid}",
                                        daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines.append(line)
            match = self.ready.search(line)
            if match and self._port is None:
                self._port = int(match.group(1))
                self._seen.set()
        self._seen.set()  # EOF: the process has exited

    def port(self, deadline: float) -> int:
        """The port from the ready line; raises with the last output if it never comes."""
        self._seen.wait(max(0.0, deadline - time.monotonic()))
        if self._port is None:
            raise RuntimeError(f"{self.name} did not report a port (exit code "
                               f"{self.proc.poll()}): {self.tail()}")
        return self._port

    def tail(self, n: int = 5) -> str:
        """The last `n` output lines on one line."""
        return " | ".join(list(self.lines)[-n:])

    def close(self) -> None:
        """After the process is gone: let the reader see EOF, then close the pipe."""
        self._thread.join(STOP_TIMEOUT)
        if not self._thread.is_alive() and self.proc.stdout is not None:
            self.proc.stdout.close()


def _wait_http(proc: subprocess.Popen, endpoint: str, output: _Output, deadline: float) -> None:
    """Poll until any HTTP answer comes back (the port line can precede accept())."""
    delay = 0.02
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {output.tail()}")
        try:
            requests.get(endpoint + "/", timeout=1.0)
            return
        except requests.RequestException:
            if time.monotonic() + delay > deadline:
                raise RuntimeError(f"{endpoint} did not answer HTTP in time") from None
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def stop_process(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM by PID, then SIGKILL if it has not exited within `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the test process dies without running finalizers."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
