"""`oss-conformance restore`: resolve journals left by runs that were killed.

Exit status: 0 every matching journal resolved (or listed); 3 a restore failed (its journal
is kept); 2 no restore failed but a journal could not be read (one line each, naming the file
and the field; the others are still restored or listed).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..dialects import make_dialect
from ..errors import ConformanceError
from ..journal import Journal, all_journals, read_journal
from ..restore import restore_outcome
from ..status import ExitStatus
from ..targets import Target, resolve_credentials


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("restore", help="put back the CORS configuration of buckets whose run "
                                       "was killed (from the journal saved before any change)")
    p.add_argument("--target", help="only journals of this target name")
    p.add_argument("--bucket", help="only journals of this bucket")
    p.add_argument("--list", action="store_true", help="list the journals, change nothing")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Restore every matching journal; 0 when all are resolved, 3 or 2 otherwise."""
    journals, damaged = load_journals(err)
    journals = [j for j in journals if _wanted(j, args)]
    if not journals:
        if not damaged:
            print("no journal to restore: every bucket is as its owner left it", file=out)
        return ExitStatus.USAGE_OR_CASE_ERROR if damaged else ExitStatus.OK
    failures = 0
    for journal in journals:
        where = f"{journal.bucket} at {journal.target.get('endpoint')}"
        if args.list:
            print(f"{where}: saved {journal.started_at} by pid {journal.pid}: "
                  f"{journal.original_text}", file=out)
            continue
        problem, identical = _restore(journal)
        if problem:
            failures += 1
            print(problem, file=err)
        else:
            how = "byte-identical" if identical else "every element equal, re-serialised"
            print(f"restored {where} ({how})", file=out)
    if failures:
        return ExitStatus.TARGET_OR_PROVISIONING_ERROR
    return ExitStatus.USAGE_OR_CASE_ERROR if damaged else ExitStatus.OK


def load_journals(err: TextIO) -> tuple[list[Journal], int]:
    """Every readable journal, and how many could not be read (each said on one line)."""
    journals, damaged = [], 0
    for path in all_journals():
        try:
            journals.append(read_journal(path))
        except ConformanceError as exc:
            damaged += 1
            print(f"oss-conformance: {exc}", file=err)
    return journals, damaged


def _wanted(journal: Journal, args: argparse.Namespace) -> bool:
    if args.target and journal.target.get("name") != args.target:
        return False
    return not (args.bucket and journal.bucket != args.bucket)


def _restore(journal: Journal) -> tuple[str | None, bool]:
    target = Target(**journal.facts())
    try:
        dialect = make_dialect(target, resolve_credentials(target))
        try:
            outcome = restore_outcome(dialect, journal)
        finally:
            dialect.close()
    except ConformanceError as exc:
        return (f"RESTORE FAILED for bucket {journal.bucket}: {exc}. The original configuration "
                f"is kept in {journal.path}: {journal.original_text}"), False
    return outcome.problem, outcome.byte_identical
