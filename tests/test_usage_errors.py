"""Contradictory or unusable target settings are one-line usage errors (exit 2), sent nothing."""

import io

import pytest

from conformance.cli import ExitStatus, main
from tests.conftest import SEED


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("argv, message", [
    (["--endpoint", "http://127.0.0.1:9", "--addressing", "virtual"],
     "virtual-hosted addressing needs a DNS name, and the endpoint http://127.0.0.1:9 has host "
     "'127.0.0.1'"),
    (["--endpoint", "http://[::1]:9", "--addressing", "virtual"], "has host '::1'"),
    (["--endpoint", "http://localhost:9", "--addressing", "virtual"], "has host 'localhost'"),
    (["--addressing", "virtual"], "the embedded reference endpoint listens on 127.0.0.1"),
    (["--endpoint", "127.0.0.1:47901"],
     "endpoint '127.0.0.1:47901' is not an http(s) URL; give it with its scheme, e.g. "
     "http://127.0.0.1:47901"),
    (["--endpoint", "http://127.0.0.1:port"], "has an invalid port"),
    (["--endpoint", "http://h.example?x=1"], "must not have a query or fragment"),
])
def test_unusable_endpoint_settings_are_one_line_usage_errors(tmp_path, argv, message):
    code, text = run_cli("run", "--reports", str(tmp_path / "r"), *argv, str(SEED))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert message in text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1


def test_virtual_addressing_with_a_dns_name_is_accepted(tmp_path):
    """The check refuses IP literals and localhost only: a real host name passes it (dry run)."""
    code, text = run_cli("run", "--reports", str(tmp_path / "r"), "--dry-run", "--endpoint",
                         "https://oss-cn-hangzhou.aliyuncs.com", "--addressing", "virtual",
                         str(SEED))
    assert code == ExitStatus.OK, text
    assert "dry run: nothing was sent" in text
