"""`run --dialect s3` with no endpoint starts the S3 reference, and every S3 item passes on it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conformance.cli import main

from .fuzz_wire import recording


def test_the_corpus_passes_in_the_s3_dialect_on_the_embedded_reference(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    out, err = io.StringIO(), io.StringIO()
    with recording() as recorder:  # the catch-all 500 is for bugs: the corpus never reaches it
        code = main(["run", "--dialect", "s3", "--reports", str(reports), "-q"], out, err)
    assert [r.getMessage() for r in recorder.bugs] == []
    doc = json.loads((reports / "results.json").read_text())
    failed = [i["nodeid"] for i in doc["items"] if i["outcome"] not in ("passed", "skipped")]
    assert (code, failed) == (0, []), out.getvalue()[-3000:] + err.getvalue()[-2000:]
    assert doc["target"]["dialect"] == "s3" and doc["target"]["region"] == "us-east-1"
    ran = [i for i in doc["items"] if i["outcome"] == "passed"]
    assert len(ran) >= 200 and all(i["dialect"] == "s3" for i in ran)
