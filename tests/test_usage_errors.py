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


def test_the_reference_target_and_an_endpoint_contradict(tmp_path):
    code, text = run_cli("run", "--reports", str(tmp_path / "r"), "--target", "reference",
                         "--endpoint", "http://127.0.0.1:9", str(SEED))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert "--target reference is the embedded endpoint, and --endpoint names another" in text


def test_a_named_but_unset_credential_variable_is_an_error_even_on_loopback(monkeypatch):
    """The development pair is for `serve` users who name nothing; a named variable is meant."""
    from conformance.errors import TargetError
    from conformance.targets import DEV_KEY_ID, Target, resolve_credentials

    monkeypatch.delenv("MY_KEY", raising=False)
    monkeypatch.delenv("MY_SECRET", raising=False)
    named = Target(name="mine", endpoint="http://127.0.0.1:9", access_key_env="MY_KEY",
                   secret_env="MY_SECRET")
    with pytest.raises(TargetError, match="environment variable MY_KEY is not set"):
        resolve_credentials(named, environ={})
    plain = Target(name="dev", endpoint="http://127.0.0.1:9")
    assert resolve_credentials(plain, environ={}).access_key_id == DEV_KEY_ID


def test_version_and_help_say_defaults_examples_and_exit_codes(capsys):
    from conformance import __version__

    assert run_cli("--version")[0] == ExitStatus.OK
    assert capsys.readouterr().out.strip() == f"oss-conformance {__version__}"
    assert run_cli("run", "--help")[0] == ExitStatus.OK
    helptext = " ".join(capsys.readouterr().out.split())
    for needle in ("OSS signature of the management calls (default: v4)",
                   "cn-hangzhou for oss", "examples:", "exit status:",
                   "3 the target cannot be used", "--exitfirst", "--maxfail N"):
        assert needle in helptext, needle


def test_a_selection_that_matches_nothing_keeps_the_previous_reports(tmp_path):
    reports = tmp_path / "r"
    assert run_cli("run", "--reports", str(reports), "-q", str(SEED))[0] == ExitStatus.OK
    before = {p.name: p.read_bytes() for p in reports.iterdir()}
    assert set(before) == {"report.html", "results.json", "junit.xml"}
    code, text = run_cli("run", "--reports", str(reports), "-q", "-k", "nomatch", str(SEED))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR and "no case matched" in text
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before
    code, text = run_cli("run", "--reports", str(reports), "--dry-run", str(SEED))
    assert code == ExitStatus.OK, text
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before  # a plan writes none
    code, text = run_cli("run", "--reports", str(reports), "--endpoint", "nope", str(SEED))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert {p.name: p.read_bytes() for p in reports.iterdir()} == before
    empty = tmp_path / "fresh"
    run_cli("run", "--reports", str(empty), "-q", "-k", "nomatch", str(SEED))
    assert list(empty.iterdir()) == []


def test_exitfirst_stops_at_the_first_failing_item(tmp_path):
    from conformance.cli import build_parser
    from conformance.commands.run import pytest_args

    args = build_parser().parse_args(["run", "-x", "--maxfail", "3", "-vv"])
    argv = pytest_args(args)
    assert "-x" in argv and "--maxfail=3" in argv and argv.count("-v") == 2
