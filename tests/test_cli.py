"""The CLI in-process (streams injected) and `serve` as a real separate process."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.cli import ExitStatus, main
from tests.conftest import SEED

BAD = Path(__file__).parent / "cases" / "bad"


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_validate_passes_the_seed_case():
    code, out, _ = run_cli("validate", str(SEED))
    assert code == ExitStatus.OK and "1 preflight(s): all valid" in out


def test_validate_prints_every_problem_one_line_each_and_exits_2():
    code, _, err = run_cli("validate", str(BAD), str(SEED))
    lines = err.strip().splitlines()
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert len(lines) == len(list(BAD.glob("*.yaml"))) + 1
    assert lines[-1] == f"{len(lines) - 1} problem(s) in {len(lines)} file(s)"
    assert all(re.match(r"^\S+\.yaml:\d+: ", line) for line in lines[:-1])


def test_usage_errors_exit_2_without_a_traceback():
    assert run_cli("validate", "no/such/dir")[0] == ExitStatus.USAGE_OR_CASE_ERROR
    assert run_cli("frobnicate")[0] == ExitStatus.USAGE_OR_CASE_ERROR
    code, _, err = run_cli("run", "--reports", os.devnull, str(SEED))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert err.strip() == ("oss-conformance: cannot create the reports folder /dev/null: "
                           "File exists")


def test_an_unknown_target_is_a_one_line_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("run", "--target", "nosuch", str(SEED), "--reports", "r")
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert "target 'nosuch': no targets.yaml found" in out + err
    assert "Traceback" not in out + err


@pytest.fixture
def served(tmp_path):
    """`oss-conformance serve` in its own process, stopped by PID (TERM, then KILL)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET")}
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and "http://" not in line:
            line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, f"serve printed {line!r}"
        yield match.group(0)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        assert proc.returncode == 0


def test_run_against_a_separately_served_reference_endpoint(served, tmp_path, monkeypatch):
    monkeypatch.delenv("OSS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("OSS_ACCESS_KEY_SECRET", raising=False)
    reports = tmp_path / "reports"
    code, out, err = run_cli("run", "--endpoint", served, "--reports", str(reports), str(SEED))
    assert code == ExitStatus.OK, out + err
    assert {p.name for p in reports.iterdir()} >= {"report.html", "results.json", "junit.xml"}
    doc = json.loads((reports / "results.json").read_text())
    assert doc["target"]["endpoint"] == served and doc["summary"]["passed"] == 1


def test_run_maps_a_deviation_to_exit_1_and_an_unreachable_target_to_3(tmp_path):
    reports = str(tmp_path / "r")
    code, *_ = run_cli("run", "--endpoint", "http://127.0.0.1:9", "--reports", reports,
                       str(SEED))
    assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR
