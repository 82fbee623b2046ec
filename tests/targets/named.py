"""A running server named in a targets.yaml, and the CLI run against it, as a user would do."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from conformance.cli import main
from tests.targets.servers import REPO, Server


def name_target(server: Server, name: str, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch, **entry: object) -> str:
    """Write a targets.yaml naming `server` (S3 dialect, plus `entry` fields) and point the CLI
    at it."""
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"targets": {name: {
        "endpoint": server.endpoint, "dialect": "s3", "region": server.region,
        "access_key_env": "TARGET_KEY_ID", "secret_env": "TARGET_SECRET", **entry}}}))
    monkeypatch.setenv("CONFORMANCE_TARGETS", str(targets))
    monkeypatch.setenv("TARGET_KEY_ID", server.credentials.access_key_id)
    monkeypatch.setenv("TARGET_SECRET", server.credentials.secret)
    monkeypatch.chdir(REPO)
    return name


def run_named(name: str, reports: Path, *extra: str) -> tuple[int, dict]:
    """`oss-conformance run --target NAME` in-process: its exit code and results.json."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--target", name, "--reports", str(reports), "-q", *extra],
                stdout=out, stderr=err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, json.loads((reports / "results.json").read_text())
