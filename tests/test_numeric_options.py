"""Numeric run options are checked before anything is sent: each bad value is one usage line."""

import io

import pytest

from conformance.cli import ExitStatus, main
from tests.conftest import SEED


@pytest.mark.parametrize("flag, given, message", [
    ("--max-rps", "0", "--max-rps '0' must be a number of requests a second above 0"),
    ("--max-rps", "-1", "--max-rps '-1' must be a number of requests a second above 0"),
    ("--max-rps", "nan", "--max-rps 'nan' must be a number of requests a second above 0"),
    ("--max-rps", "inf", "--max-rps 'inf' must be a number of requests a second above 0"),
    ("--max-rps", "fast", "--max-rps 'fast' must be a number of requests a second above 0"),
    ("--concurrency", "0", "--concurrency 0 must be between 1 and 256"),
    ("--concurrency", "100000", "--concurrency 100000 must be between 1 and 256"),
    ("--latency-ms", "-5", "--latency-ms -5 must be between 0 and 60000"),
    ("--latency-ms", "9" * 5000, "is not a whole number"),
])
def test_a_bad_number_is_a_one_line_usage_error(tmp_path, flag, given, message):
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--dry-run", flag, given, "--reports", str(tmp_path), str(SEED)],
                stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert message in text and "Traceback" not in text
    assert len([line for line in text.splitlines() if message in line]) == 1


def test_a_good_rate_is_accepted(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "--dry-run", "--max-rps", "0.5", "--reports", str(tmp_path), str(SEED)],
                stdout=out, stderr=err)
    assert code == ExitStatus.OK, out.getvalue() + err.getvalue()
