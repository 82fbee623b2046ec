"""The whole corpus: valid, and 100% conformant on the reference endpoint, V4 and V1 signed."""

import json
from pathlib import Path

import pytest

from conformance.cases import is_case_file, load_case
from conformance.cases.model import config_key

CASES = Path(__file__).resolve().parent.parent / "cases"
FILES = sorted(p for p in CASES.rglob("*") if is_case_file(p.name))


def test_the_corpus_is_large_enough_and_every_file_validates():
    cases = [load_case(p) for p in FILES]
    assert len(cases) >= 8
    assert sum(len(c.preflights) for c in cases) >= 40


@pytest.mark.parametrize("signature", ["v4", "v1"])
def test_the_full_corpus_passes_on_the_reference_endpoint(pytester, signature):
    results = pytester.path / "results.json"
    result = pytester.runpytest(
        str(CASES), "-o", f"conformance_case_roots={CASES}", "-p", "no:cacheprovider",
        f"--signature-version={signature}", f"--conformance-results={results}")
    doc = json.loads(results.read_text())
    bad = [(r["nodeid"], [c for c in r["checks"] if not c["ok"]], r["error"])
           for r in doc["items"] if r["outcome"] != "passed"
           and not (r["outcome"] == "skipped" and r.get("skip_reason"))]  # inapplicable: S3-only
    assert not bad, json.dumps(bad, indent=1)[:4000]
    assert result.ret == 0
    cases = [c for c in map(load_case, FILES) if "oss" in c.dialects]
    configs = {config_key(c.cors) for c in cases if not c.sequence}
    sequences = sum(c.sequence for c in cases)  # each starts from a reset bucket
    assert len(configs) <= doc["provisioning_calls"] <= len(configs) + sequences
