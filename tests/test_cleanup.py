"""`oss-conformance cleanup` removes only the suite's leftovers, and only when told to."""

from __future__ import annotations

import argparse
import io
from contextlib import contextmanager

import pytest

from conformance.cli import ExitStatus, main
from conformance.commands import cleanup
from conformance.journal import journal_path, write_journal
from conformance.reference import ReferenceServer
from conformance.targets import Credentials, Target
from tests.targets import servers

KEY, SECRET = "LTAIcleanupKEY001", "cleanup-SECRET-31d"


@contextmanager
def endpoint(kind, monkeypatch):
    if kind == "reference":
        with ReferenceServer(credentials={KEY: SECRET}) as ref:
            monkeypatch.setenv("OSS_ACCESS_KEY_ID", KEY)
            monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SECRET)
            yield Target(endpoint=ref.endpoint), Credentials(KEY, SECRET), []
    else:
        with servers.s3rver() as srv:
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", srv.credentials.access_key_id)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", srv.credentials.secret)
            yield (srv.target(), srv.credentials,
                   ["--dialect", "s3", "--region", srv.region])


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFORMANCE_STATE_DIR", str(tmp_path / "state"))


def seed(target, creds, open_dialect):
    dialect = open_dialect(target, creds)
    for bucket in ("osscors-0a1b2c3d4e5f", "osscors-missing-99", "owner-data", "osscors-kept"):
        assert dialect.create_bucket(bucket).ok
    assert dialect.put_object("osscors-0a1b2c3d4e5f", "conformance-object.txt", b"x").ok
    assert dialect.put_object("osscors-0a1b2c3d4e5f", "nested/key with space", b"y").ok
    assert dialect.put_object("owner-data", "precious.txt", b"mine").ok
    return dialect


def buckets(dialect):
    return sorted(dialect.list_buckets("")[1])


@pytest.mark.parametrize("kind", ["reference", "s3rver"])
def test_cleanup_with_yes_deletes_only_prefixed_unprotected_buckets(kind, monkeypatch,
                                                                    open_dialect):
    with endpoint(kind, monkeypatch) as (target, creds, extra):
        dialect = seed(target, creds, open_dialect)
        write_journal(journal_path(target.endpoint, target.dialect, "osscors-kept"),
                      target.facts(), "osscors-kept", None)
        out, err = io.StringIO(), io.StringIO()
        code = main(["cleanup", "--endpoint", target.endpoint, *extra, "--yes"],
                    stdout=out, stderr=err)
        assert code == ExitStatus.OK, err.getvalue()
        assert "2 leftover bucket(s)" in out.getvalue()
        assert buckets(dialect) == ["osscors-kept", "owner-data"]
        assert dialect.list_objects("owner-data")[1] == ["precious.txt"]


@pytest.mark.parametrize("reply, left", [("y\n", 1), ("n\n", 4), ("\n", 4)])
def test_cleanup_asks_before_deleting(reply, left, monkeypatch, open_dialect):
    with endpoint("reference", monkeypatch) as (target, creds, _):
        dialect = seed(target, creds, open_dialect)
        args = argparse.Namespace(target=None, endpoint=target.endpoint, dialect=None,
                                  region=None, prefix=cleanup.PREFIX, yes=False)
        out = io.StringIO()
        assert cleanup.run(args, out, io.StringIO(), answer=io.StringIO(reply)) == 0
        assert "[y/N]" in out.getvalue()
        assert len(buckets(dialect)) == left


def test_without_a_terminal_nothing_is_deleted(monkeypatch, open_dialect):
    with endpoint("reference", monkeypatch) as (target, creds, _):
        dialect = seed(target, creds, open_dialect)
        monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a tty
        out = io.StringIO()
        assert main(["cleanup", "--endpoint", target.endpoint], stdout=out) == 0
        assert "add --yes" in out.getvalue() and len(buckets(dialect)) == 4


def test_a_foreign_prefix_is_refused():
    err = io.StringIO()
    code = main(["cleanup", "--endpoint", "http://127.0.0.1:9", "--prefix", "prod-", "--yes"],
                stdout=io.StringIO(), stderr=err)
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert "--prefix must start with 'osscors-'" in err.getvalue()
