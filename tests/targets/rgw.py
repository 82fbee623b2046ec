"""Ceph RADOS Gateway 16.2.15 (Debian `radosgw`) as a third-party S3 target on 127.0.0.1.

A one-host cluster under one fresh directory (shared/reference/local-targets.md §8.2): one monitor
on msgr2, one memstore OSD, no manager, one radosgw on a free port, and a generated S3 user.
Authentication is off; that only works with every messenger mode `crc` (the default client mode
asks for `secure`, which auth `none` cannot give, and radosgw then loops on
`get_initial_auth_request returned -13`). The three daemons are stopped by PID at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.targets import Credentials
from tests.targets.procs import Proc, bucket_round_trip, free_ports, poll, stopping
from tests.targets.servers import Server

VERSION = "16.2.15"
PACKAGES = ("radosgw", "ceph-mon", "ceph-osd", "ceph-common", "ceph-base")
INSTALL = f"apt-get install -y {' '.join(PACKAGES)}"
TOOLS = ("radosgw", "ceph-mon", "ceph-osd", "ceph", "ceph-authtool", "monmaptool", "radosgw-admin")
START_TIMEOUT = 180.0  # ready ~25 s after the first command here; a cold CI disk is slower
COMMAND_TIMEOUT = 60.0  # one CLI call (ceph, radosgw-admin); they retry the monitor themselves
TERM_WAIT = 10.0
CONF = """\
[global]
fsid = {fsid}
mon_host = [v2:127.0.0.1:{mon_port}]
ms_bind_msgr1 = false
ms_bind_msgr2 = true
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_client_mode = crc
ms_mon_service_mode = crc
ms_mon_cluster_mode = crc
ms_service_mode = crc
ms_cluster_mode = crc
keyring = {root}/keyring
run_dir = {root}/run
admin_socket = {root}/run/$name.asok
log_file = {root}/log/$name.log
mon_cluster_log_file = default={root}/log/$cluster.$channel.log cluster={root}/log/$cluster.log
crash_dir = {root}/crash
pid_file = {root}/run/$name.pid
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
[mon]
mon_data = {root}/mon/$cluster-$id
[osd]
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_data = {root}/osd/$cluster-$id
[client.rgw.conformance]
rgw_frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw_data = {root}/rgw
"""


def tools() -> None:
    """Skip (saying how to install) unless every Ceph tool is on PATH; fail on another version."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"Ceph RGW {VERSION} is not installed ({', '.join(missing)} missing); "
                    f"run: {INSTALL}")
    found = subprocess.run(["radosgw", "--version"], capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT).stdout
    if f"ceph version {VERSION} " not in found:  # the expectations are this version's
        pytest.fail(f"expectations/ceph-rgw.yaml describes radosgw {VERSION}; "
                    f"installed: {found.strip() or 'unknown'}")


class Cluster:
    """Paths and commands of one throw-away cluster."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "ceph.conf"
        mon_port, self.rgw_port = free_ports(2)
        for sub in ("run", "log", "mon", "osd", "rgw", "crash"):
            (root / sub).mkdir()
        self.fsid = str(uuid.uuid4())
        self.conf.write_text(CONF.format(fsid=self.fsid, mon_port=mon_port,
                                         rgw_port=self.rgw_port, root=root))
        self.mon_addr = f"[v2:127.0.0.1:{mon_port}]"

    def run(self, *argv: str) -> str:
        """One CLI call with this cluster's configuration; its stdout. Raises with its stderr."""
        done = subprocess.run([argv[0], "-c", str(self.conf), *argv[1:]], capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv[:3])} exited with {done.returncode}: "
                               f"{done.stderr.strip()[-300:]}")
        return done.stdout

    def daemon(self, name: str, *argv: str) -> Proc:
        """A daemon in the foreground with this cluster's configuration."""
        return Proc(name, [argv[0], "-c", str(self.conf), "-f", *argv[1:]], cwd=self.root)

    def log_tail(self, name: str) -> str:
        """The last lines of a daemon's log file, for a failure message."""
        path = self.root / "log" / f"{name}.log"
        lines = path.read_text(errors="replace").splitlines()[-5:] if path.exists() else []
        return " | ".join(lines)


@contextlib.contextmanager
def run() -> Iterator[Server]:
    """Start a monitor, an OSD and radosgw with fresh state; always stop all three by PID."""
    tools()
    with tempfile.TemporaryDirectory(prefix="ceph-rgw-") as tmp:
        cluster = Cluster(Path(tmp))
        start = time.monotonic()
        deadline = start + START_TIMEOUT
        with stopping([], TERM_WAIT) as procs:
            _make_monitor(cluster)
            procs.append(mon := cluster.daemon("ceph-mon", "ceph-mon", "-i", "a"))
            osd_id = _make_osd(cluster, deadline, mon)
            procs.append(osd := cluster.daemon("ceph-osd", "ceph-osd", "-i", osd_id))
            poll(lambda: _osd_up(cluster), deadline, "Ceph OSD up", osd.dead)
            procs.append(rgw := cluster.daemon(
                "radosgw", "radosgw", "-n", "client.rgw.conformance"))
            endpoint = f"http://127.0.0.1:{cluster.rgw_port}"
            try:
                poll(lambda: requests.get(endpoint + "/", timeout=2.0).ok or None, deadline,
                     "radosgw answering 200", rgw.dead)
            except RuntimeError as exc:
                log = cluster.log_tail("client.rgw.conformance")
                raise RuntimeError(f"{exc}; log: {log}") from None
            server = Server("ceph-rgw", endpoint, rgw.pid, _make_user(cluster), "us-east-1",
                            0.0, rgw.output.lines)
            # The first object creates the data pools (~5 s): done here, not in the first item.
            poll(lambda: bucket_round_trip(server), deadline, "radosgw storing an object",
                 rgw.dead)
            yield dataclasses.replace(server, started_in=time.monotonic() - start)


def _make_monitor(cluster: Cluster) -> None:
    keyring, monmap = str(cluster.root / "keyring"), str(cluster.root / "monmap")
    cluster.run("ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.",
                "--cap", "mon", "allow *")
    cluster.run("ceph-authtool", keyring, "--gen-key", "-n", "client.admin",
                "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mgr", "allow *")
    cluster.run("monmaptool", "--create", "--fsid", cluster.fsid, "--addv", "a",
                cluster.mon_addr, monmap)
    cluster.run("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring)


def _make_osd(cluster: Cluster, deadline: float, mon: Proc) -> str:
    """Register OSD 0 with the monitor (once it answers) and make its store."""
    osd_uuid = str(uuid.uuid4())
    osd_id = poll(lambda: cluster.run("ceph", "--connect-timeout", "5", "osd", "new",
                                      osd_uuid).strip() or None,
                  deadline, "Ceph monitor taking an OSD", mon.dead)
    (cluster.root / "osd" / f"ceph-{osd_id}").mkdir()  # memstore writes its fsid file there
    cluster.run("ceph-osd", "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
    return osd_id


def _osd_up(cluster: Cluster) -> bool | None:
    out = cluster.run("ceph", "--connect-timeout", "5", "osd", "stat", "-f", "json")
    return True if '"num_up_osds":1' in out.replace(" ", "") else None


def _make_user(cluster: Cluster) -> Credentials:
    """A fresh S3 user with a generated key pair."""
    credentials = Credentials("RGW" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
    cluster.run("radosgw-admin", "-n", "client.rgw.conformance", "user", "create",
                "--uid=conformance", "--display-name=conformance suite",
                f"--access-key={credentials.access_key_id}", f"--secret={credentials.secret}")
    return credentials
