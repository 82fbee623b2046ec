"""LocalStack's S3 (PyPI `localstack-core`, host mode) as an opt-in target on 127.0.0.1.

LocalStack 2026.3.0 runs only on Python 3.13 and only with pinned `cbor2` and `pyopenssl`
(shared/reference/local-targets.md §7.3), so it is opt-in: `CONFORMANCE_LOCALSTACK_PYTHON` names
a 3.13 interpreter. Its venv is built once under `.targets/localstack` (git-ignored) and reused
while the interpreter and pins stay the same. Each start gets a fresh temporary HOME, TMPDIR and
FILESYSTEM_ROOT, a free port picked here (LocalStack cannot report an ephemeral one), and every
phone-home setting pointed at the discard port 127.0.0.1:9.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.targets import Credentials
from tests.targets.servers import REPO, Server, _die_with_parent, _Output, stop_process

ENV_PYTHON = "CONFORMANCE_LOCALSTACK_PYTHON"
VERSION = "2026.3.0"
# cbor2 6 dropped cbor2._decoder and pyOpenSSL 24.3+ dropped X509.add_extensions: both break it.
REQUIREMENTS = (f"localstack-core[runtime]=={VERSION}", "cbor2<6", "pyopenssl<24.3")
VENV = REPO / ".targets" / "localstack"
MARKER = VENV / ".conformance-built"  # written last: its absence means a partial build
BUILD_LOG = REPO / ".targets" / "localstack-build.log"
BUILD_TIMEOUT = 900.0  # 52-62 s here; a slow mirror can take much longer
START_TIMEOUT = 60.0  # ready after 3-4 s here
# A clean stop takes 2-6 s here. About one SIGTERM in three never finishes: LocalStack's
# HypercornRuntimeServer.shutdown() calls loop.stop() from another thread without waking the loop,
# which then sleeps in select() for good. Hence SIGKILL after this bound.
STOP_TIMEOUT = 10.0
# Key id `test` is LocalStack's default account (000000000000). It does not verify signatures, so
# the secret is free: not `test`, which the suite's redactor would blank out of every `.test`
# origin in the reports.
CREDENTIALS = Credentials("test", "localstack-unverified-secret")
DISCARD = "http://127.0.0.1:9"  # nothing listens there: phone-home calls fail fast, locally
_NO_PORT_LINE = re.compile(r"(?!)")  # never matches: the port is chosen here, not printed
HINT = f"e.g. {ENV_PYTHON}=~/.pyenv/versions/3.13.0/bin/python3.13"


@contextlib.contextmanager
def run() -> Iterator[Server]:
    """Start LocalStack's S3 with a fresh state; always stop it by PID."""
    python = venv_python()
    with tempfile.TemporaryDirectory(prefix="localstack-") as tmp:
        env = environment(Path(tmp), free_port())
        endpoint = "http://" + env["GATEWAY_LISTEN"]
        start = time.monotonic()
        proc = subprocess.Popen([str(python), "-m", "localstack.runtime.main"], env=env,
                                cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        output = _Output(proc, _NO_PORT_LINE, "localstack")
        try:
            _wait_s3_running(proc, endpoint, output, start + START_TIMEOUT)
            yield Server("localstack", endpoint, proc.pid, CREDENTIALS, "us-east-1",
                         time.monotonic() - start, output.lines)
        finally:
            stop(proc)
            output.close()


def interpreter() -> Path:
    """The Python 3.13 named by $CONFORMANCE_LOCALSTACK_PYTHON; skips when it is not usable."""
    raw = os.environ.get(ENV_PYTHON, "").strip()
    if not raw:
        pytest.skip(f"LocalStack is opt-in: set {ENV_PYTHON} to a Python 3.13 interpreter ({HINT})")
    path = Path(os.path.expanduser(raw))
    found = shutil.which(str(path))
    if found is None:
        pytest.skip(f"{ENV_PYTHON}={raw} is not an executable ({HINT})")
    try:
        version = subprocess.run([found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30, check=True
                                 ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"{ENV_PYTHON}={raw} does not run: {exc}")
    if version != "3.13":
        pytest.skip(f"{ENV_PYTHON}={raw} is Python {version}; localstack-core {VERSION} needs "
                    f"exactly 3.13 (3.11: SyntaxError, 3.12: ImportError) ({HINT})")
    return Path(found)


def venv_python() -> Path:
    """The venv's interpreter, building the venv first if needed; skips if it cannot be built."""
    base = interpreter()
    stamp = f"{base.resolve()}\n" + "\n".join(REQUIREMENTS) + "\n"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / "localstack.lock", "w") as lock:  # one builder at a time (xdist)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (MARKER.is_file() and MARKER.read_text() == stamp):
            problem = build(base)
            if problem:
                pytest.skip(f"cannot build the LocalStack venv in {VENV}: {problem} "
                            f"(full log: {BUILD_LOG})")
            MARKER.write_text(stamp)
    return VENV / "bin" / "python"


def build(base: Path) -> str | None:
    """(Re)create the venv and install the pins; None on success, else the failure's tail."""
    shutil.rmtree(VENV, ignore_errors=True)
    python = VENV / "bin" / "python"
    steps = [[str(base), "-m", "venv", str(VENV)],
             [str(python), "-m", "pip", "install", "--no-input", "--progress-bar", "off",
              *REQUIREMENTS],
             # A plugin that fails to import is silent at start-up: fail here instead.
             [str(python), "-c", "import localstack.runtime.main, hypercorn, cbor2._decoder"]]
    with open(BUILD_LOG, "w") as log:
        for argv in steps:
            log.write(f"$ {' '.join(argv)}\n")
            log.flush()
            try:
                done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"{argv[2] if len(argv) > 2 else argv[0]}: {exc}"
            if done.returncode != 0:
                tail = BUILD_LOG.read_text(errors="replace").strip().splitlines()[-3:]
                return f"exit {done.returncode}: {' | '.join(tail)}"
    return None


def free_port() -> int:
    """A port that was free a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp: Path, port: int) -> dict[str, str]:
    """The §7.3 env block: host mode, S3 only, hypercorn, loopback, no phone-home, fresh dirs."""
    dirs = {name: tmp / name for name in ("home", "tmp", "fs")}
    for path in dirs.values():
        path.mkdir()
    listen = f"127.0.0.1:{port}"
    return {
        # Not the caller's environment: its AWS_*/LOCALSTACK_*/DEBUG settings must not leak in.
        "PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
        "HOME": str(dirs["home"]), "TMPDIR": str(dirs["tmp"]),
        "FILESYSTEM_ROOT": str(dirs["fs"]), "OVERRIDE_IN_DOCKER": "0",
        "GATEWAY_SERVER": "hypercorn",  # the default twisted gateway needs service_identity
        "GATEWAY_LISTEN": listen, "LOCALSTACK_HOST": listen,
        "SERVICES": "s3", "EAGER_SERVICE_LOADING": "1",
        "DNS_ADDRESS": "0", "DISABLE_EVENTS": "1", "SKIP_SSL_CERT_DOWNLOAD": "1",
        "API_ENDPOINT": DISCARD, "ANALYTICS_API": DISCARD,
    }


def _wait_s3_running(proc: subprocess.Popen, endpoint: str, output: _Output,
                     deadline: float) -> None:
    """Poll /_localstack/health until it reports "s3": "running"."""
    delay, last = 0.05, "no answer"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"localstack exited with {proc.returncode}: {output.tail()}")
        try:
            answer = requests.get(endpoint + "/_localstack/health", timeout=2.0)
            state = answer.json().get("services", {}).get("s3")
            if state == "running":
                return
            last = f"s3 is {state!r}"
        except (requests.RequestException, ValueError) as exc:
            last = type(exc).__name__
        if time.monotonic() + delay > deadline:
            raise RuntimeError(f"localstack S3 not running after {START_TIMEOUT:.0f} s ({last}): "
                               f"{output.tail()}")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def stop(proc: subprocess.Popen) -> None:
    """Stop by PID with LocalStack's longer grace period (its SIGTERM sometimes hangs)."""
    stop_process(proc, STOP_TIMEOUT)
