"""Child processes of the benchmark: bounded in time and always stopped by PID."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ._child import RESULT_PREFIX

REPO = Path(__file__).resolve().parent.parent
# One credential pair for the whole bench, so a run and its replay sign with the same secret
# (without it the embedded endpoint draws a fresh random pair per run).
BENCH_ENV = {**os.environ, "OSS_ACCESS_KEY_ID": "LTAIbench0000000001",
             "OSS_ACCESS_KEY_SECRET": secrets.token_urlsafe(24),
             "PYTHONDONTWRITEBYTECODE": "1",
             "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


class BenchError(RuntimeError):
    """A measurement could not be taken; the message says which and why."""


def _stop(proc: subprocess.Popen) -> None:
    """TERM, then KILL, the child's process group (its id is the child's PID)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_child(task: str, spec: dict, timeout: float) -> dict:
    """Run one bench._child task in a fresh interpreter and return its result."""
    # Own session: xdist workers it starts share its process group and are stopped with it.
    proc = subprocess.Popen([sys.executable, "-m", "bench._child", task, json.dumps(spec)],
                            cwd=REPO, env=BENCH_ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{task} took longer than {timeout:.0f}s; stopped") from None
    finally:
        _stop(proc)
    for line in out.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise BenchError(f"{task} exited {proc.returncode} without a result: "
                     f"{(err or out).strip()[-600:]}")


@contextlib.contextmanager
def served(latency_ms: int = 0, timeout: float = 30) -> Iterator[str]:
    """`python -m conformance serve --port 0` in its own process; yields its endpoint."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--port", "0",
         "--latency-ms", str(latency_ms)],
        cwd=REPO, env=BENCH_ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True)
    try:
        deadline, line = time.monotonic() + timeout, ""
        assert proc.stdout is not None
        while time.monotonic() < deadline and "http://" not in line and proc.poll() is None:
            if select.select([proc.stdout], [], [], 0.1)[0]:  # never block past the deadline
                line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not match:
            raise BenchError(f"the reference endpoint did not start: {line!r}")
        yield match.group(0)
    finally:
        _stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()
