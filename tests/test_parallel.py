"""A parallel run (pytest-xdist) reaches exactly the verdicts of a serial run."""

import io
import json
from pathlib import Path

import pytest

from conformance.cases import is_case_file, load_case
from conformance.cli import ExitStatus, main

REPO = Path(__file__).resolve().parent.parent


def verdicts(reports: Path, *extra: str) -> tuple[int, dict, dict]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", str(REPO / "cases"), "--reports", str(reports), "-q", *extra],
                stdout=out, stderr=err)
    doc = json.loads((reports / "results.json").read_text())
    by_item = {r["nodeid"]: (r["outcome"], tuple((c["subject"], c["ok"]) for c in r["checks"]))
               for r in doc["items"]}
    return code, by_item, doc


# pytest-benchmark, where installed, warns that xdist disables it; not this suite's concern.
@pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")
def test_four_workers_give_the_serial_verdicts(tmp_path):
    serial_code, serial, serial_doc = verdicts(tmp_path / "serial")
    parallel_code, parallel, parallel_doc = verdicts(tmp_path / "parallel", "-n", "4")
    assert serial_code == parallel_code == ExitStatus.OK
    assert parallel == serial
    assert len(serial) == serial_doc["summary"]["total"] > 150
    # each configuration still provisioned exactly once, whichever worker ran it
    assert config_provisionings(parallel_doc) == config_provisionings(serial_doc) == len(
        {c.config_key for c in CASES if not c.sequence})


CASES = [load_case(p) for p in sorted((REPO / "cases").rglob("*")) if is_case_file(p.name)]


def config_provisionings(doc: dict) -> int:
    """Provisionings of configurations (a sequence's reset before its steps is not one)."""
    sequences = {c.path for c in CASES if c.sequence}
    return len({r["provisioning"]["applied_by"] for r in doc["items"]
                if r["provisioning"] and r["provisioning"]["applied_by"]
                and not any(r["case"].endswith(s.split("cases/", 1)[-1]) for s in sequences)})


def test_reads_sent_together_give_the_one_at_a_time_verdicts(tmp_path):
    """Fan-out (default) against a remote-like endpoint; one request at a time as the truth."""
    one_code, one_at_a_time, _ = verdicts(tmp_path / "one", "--concurrency", "1")
    fan_code, fanned, _ = verdicts(tmp_path / "fanned", "--latency-ms", "3")
    assert one_code == fan_code == ExitStatus.OK
    assert fanned == one_at_a_time
