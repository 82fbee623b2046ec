"""The benchmark's quick mode produces its whole table. Timings are never asserted here:
speed is what `python -m bench` measures, on purpose, in one run (bench/README.md)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Every figure of the table (names as printed; the quick mode uses 1,000 files and preflights).
FIGURES = [
    "corpus run: oss-conformance run cases/",
    "floor: same requests, one requests.Session",
    "overhead ratio",
    "serial: ideal round-trip time",
    "serial: measured",
    "-n 8: ideal round-trip time",
    "-n 8 --dist loadgroup: measured",
    "-n 8: CPU time of all processes",
    "pytest --collect-only of 1,000 files",
    "raw loader (load_case) of 1,000 files",
    "peak RSS of that collection",
    "peak RSS of a 1,000-preflight run",
    "wall time of that 1,000-preflight run",
    "granted preflights per second",
    "latency p50",
    "latency p99",
    "distinct configurations in cases/",
    "sequence cases",
    "serial: Put/DeleteBucketCors for configurations",
    "serial: DeleteBucketCors resets before sequences",
    "-n 8: Put/DeleteBucketCors for configurations",
    "-n 8: DeleteBucketCors resets before sequences",
    "corpus run with --browser chromium",
    "extra time",
]


def test_quick_mode_prints_every_figure_beside_its_target(tmp_path):
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(out.read_text())
    by_name = {f["name"].strip(): f for f in figures}
    for wanted in FIGURES:
        matches = [f for name, f in by_name.items() if name.startswith(wanted)]
        assert len(matches) == 1, f"figure {wanted!r} missing or ambiguous"
        figure = matches[0]
        assert isinstance(figure["value"], (int, float)), figure
        line = next(x for x in proc.stdout.splitlines() if figure["name"] in x)
        if figure["target"]:  # a targeted figure shows the target and a verdict beside it
            assert figure["target"] in line and ("met" in line or "MISSED" in line), line
    for section in ("1. overhead", "2. remote latency", "3. collection", "4. reference",
                    "5. provisioning"):
        assert any(line.startswith(section) for line in proc.stdout.splitlines()), section
