"""A target that cannot be used stops the run at once: one line with the cause and a fix, exit 3."""

import io
import socket

import pytest

from conformance.cli import ExitStatus, main
from conformance.reference import ReferenceServer


def run_cli(*argv):
    out = io.StringIO()
    code = main(list(argv), stdout=out, stderr=out)
    return code, out.getvalue()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def reference(monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "ff-key")
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "ff-secret")
    with ReferenceServer(credentials={"ff-key": "ff-secret"}) as ref:
        yield ref


def assert_stopped_once(code, text, message):
    assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR, text
    assert text.count(message) == 1, text
    assert len(text.splitlines()) < 25, text  # not one failure per item
    assert "Traceback" not in text


def test_an_unreachable_endpoint_is_one_line(tmp_path):
    port = closed_port()
    code, text = run_cli("run", "-q", "--reports", str(tmp_path), "--endpoint",
                         f"http://127.0.0.1:{port}")
    assert_stopped_once(code, text, f"STOPPED: cannot reach http://127.0.0.1:{port} "
                                    "(connection refused): is the server running")


def test_refused_credentials_are_one_line_naming_the_variables(tmp_path, reference,
                                                                monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "not-the-secret")
    code, text = run_cli("run", "-q", "--reports", str(tmp_path), "--endpoint",
                         reference.endpoint)
    assert_stopped_once(code, text, "refuses the credentials (PutBucket: 403 "
                                    "SignatureDoesNotMatch): check $OSS_ACCESS_KEY_ID and "
                                    "$OSS_ACCESS_KEY_SECRET")
    assert "not-the-secret" not in text


def test_a_missing_bucket_is_one_line(tmp_path, reference):
    code, text = run_cli("run", "-q", "--reports", str(tmp_path), "--endpoint",
                         reference.endpoint, "--bucket", "no-such-bucket")
    assert_stopped_once(code, text, "bucket no-such-bucket does not exist at")


def test_parallel_workers_stop_at_their_first_failure(tmp_path):
    port = closed_port()
    code, text = run_cli("run", "-q", "-n", "2", "--reports", str(tmp_path), "--endpoint",
                         f"http://127.0.0.1:{port}")
    assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR, text
    assert "cannot reach" in text and text.count("FAILED") <= 2


def test_sigterm_before_the_target_starts_unwinds_like_ctrl_c():
    """Collection and option parsing are covered too: SIGTERM there is exit 130, not -15."""
    import os
    import signal

    from conformance.commands.run import _sigterm_interrupts

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="signal 15"), _sigterm_interrupts():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before
