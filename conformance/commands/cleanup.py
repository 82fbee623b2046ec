"""`oss-conformance cleanup`: remove buckets left by ephemeral runs that were killed.

Only buckets named with the suite's prefix are candidates; each is listed first, and nothing
is deleted without a "yes" on the terminal or --yes. A bucket named by a target as its existing
bucket, or one with an open restore journal, is never touched.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..dialects import make_dialect
from ..dialects.base import Dialect
from ..errors import ConformanceError
from ..journal import all_journals, read_journal
from ..status import ExitStatus
from ..targets import Target, resolve_credentials

PREFIX = "osscors-"


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("cleanup", help="delete buckets (and their objects) left by earlier "
                                       "ephemeral runs, after listing them")
    p.add_argument("--target", help="named target from targets.yaml")
    p.add_argument("--endpoint", help="endpoint URL")
    p.add_argument("--dialect", choices=("oss", "s3"))
    p.add_argument("--region")
    p.add_argument("--prefix", default=PREFIX, help=f"bucket name prefix (default {PREFIX})")
    p.add_argument("--yes", action="store_true", help="delete without asking")


def run(args: argparse.Namespace, out: TextIO, err: TextIO, answer: TextIO | None = None) -> int:
    """List leftovers, confirm, delete; 0 when nothing is left, 3 on a refused call."""
    if not args.prefix.startswith(PREFIX):
        raise ConformanceError(f"--prefix must start with {PREFIX!r}: only the suite's own "
                               "buckets may be deleted")
    target = _target(args)
    dialect = make_dialect(target, resolve_credentials(target))
    try:
        result, names = dialect.list_buckets(args.prefix)
        if not result.ok:
            print(f"ListBuckets failed: {result.status} {result.code}", file=err)
            return ExitStatus.TARGET_OR_PROVISIONING_ERROR
        protected = _protected(target)
        names = [n for n in names if n not in protected]
        if not names:
            print(f"no leftover bucket named {args.prefix}* at {target.endpoint}", file=out)
            return ExitStatus.OK
        print(f"{len(names)} leftover bucket(s) at {target.endpoint}:", file=out)
        for name in names:
            print(f"  {name}", file=out)
        if not args.yes and not _confirmed(out, answer):
            print("nothing deleted", file=out)
            return ExitStatus.OK
        failures = [problem for name in names if (problem := _delete(dialect, name))]
    finally:
        dialect.close()
    for problem in failures:
        print(problem, file=err)
    print(f"deleted {len(names) - len(failures)} bucket(s)", file=out)
    return ExitStatus.TARGET_OR_PROVISIONING_ERROR if failures else ExitStatus.OK


def _target(args: argparse.Namespace) -> Target:
    from dataclasses import replace
    from pathlib import Path

    from ..targets_file import named_target

    target = named_target(args.target, Path.cwd()) if args.target else Target(name="cleanup")
    overrides = {"endpoint": args.endpoint, "dialect": args.dialect, "region": args.region}
    target = replace(target, **{k: v for k, v in overrides.items() if v})
    if not target.endpoint:
        raise ConformanceError("cleanup needs --endpoint or --target (the embedded reference "
                               "endpoint leaves nothing behind)")
    return target


def _protected(target: Target) -> set[str]:
    names = {read_journal(p).bucket for p in all_journals()}
    return names | ({target.bucket} if target.bucket else set())


def _confirmed(out: TextIO, answer: TextIO | None) -> bool:
    import sys

    stream = answer or sys.stdin
    if answer is None and not stream.isatty():
        print("not a terminal: add --yes to delete them", file=out)
        return False
    print("delete them and every object in them? [y/N] ", end="", file=out, flush=True)
    return stream.readline().strip().lower() in ("y", "yes")


def _delete(dialect: Dialect, bucket: str) -> str | None:
    result, keys = dialect.list_objects(bucket)
    if not result.ok:
        return f"{bucket}: ListObjects answered {result.status} {result.code}"
    for key in keys:
        deleted = dialect.delete_object(bucket, key)
        if not deleted.ok:
            return f"{bucket}/{key}: DeleteObject answered {deleted.status} {deleted.code}"
    gone = dialect.delete_bucket(bucket)
    return None if gone.ok else f"{bucket}: DeleteBucket answered {gone.status} {gone.code}"
