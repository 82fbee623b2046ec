"""`oss-conformance restore`: resolve journals left by runs that were killed."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any, TextIO

from .dialects import make_dialect
from .errors import ConformanceError
from .journal import Journal, all_journals, read_journal
from .restore import restore_bucket
from .targets import Target, resolve_credentials


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("restore", help="put back the CORS configuration of buckets whose run "
                                       "was killed (from the journal saved before any change)")
    p.add_argument("--target", help="only journals of this target name")
    p.add_argument("--bucket", help="only journals of this bucket")
    p.add_argument("--list", action="store_true", help="list the journals, change nothing")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Restore every matching journal; 0 when all are resolved, 3 otherwise."""
    from .cli import ExitStatus

    journals = [read_journal(p) for p in all_journals()]
    journals = [j for j in journals if _wanted(j, args)]
    if not journals:
        print("no journal to restore: every bucket is as its owner left it", file=out)
        return ExitStatus.OK
    failures = 0
    for journal in journals:
        where = f"{journal.bucket} at {journal.target.get('endpoint')}"
        if args.list:
            print(f"{where}: saved {journal.started_at} by pid {journal.pid}: "
                  f"{journal.original_text}", file=out)
            continue
        problem = _restore(journal)
        if problem:
            failures += 1
            print(problem, file=err)
        else:
            print(f"restored {where}", file=out)
    return ExitStatus.TARGET_OR_PROVISIONING_ERROR if failures else ExitStatus.OK


def _wanted(journal: Journal, args: argparse.Namespace) -> bool:
    if args.target and journal.target.get("name") != args.target:
        return False
    return not (args.bucket and journal.bucket != args.bucket)


def _restore(journal: Journal) -> str | None:
    known = {f.name for f in fields(Target)}
    facts = {k: v for k, v in journal.target.items() if k in known and k != "fixed_cors"}
    target = Target(**facts)
    try:
        dialect = make_dialect(target, resolve_credentials(target))
        try:
            return restore_bucket(dialect, journal)
        finally:
            dialect.close()
    except ConformanceError as exc:
        return (f"RESTORE FAILED for bucket {journal.bucket}: {exc}. The original configuration "
                f"is kept in {journal.path}: {journal.original_text}")
