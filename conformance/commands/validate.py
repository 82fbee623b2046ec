"""`oss-conformance validate`: check case files against the schema, every file of a batch."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from ..cases import CaseFileErrors, case_files, load_case
from ..errors import ConformanceError
from ..status import ExitStatus


def add_parser(sub: Any) -> None:
    """Register `validate`."""
    val = sub.add_parser("validate", help="check case files against the schema")
    val.add_argument("paths", nargs="*", default=["cases"],
                     help="case files or folders (default: cases); every file is reported, "
                     "one line per problem")



def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Validate the case files the paths name."""
    return validate(args.paths, out, err)


def validate(paths: list[str], out: TextIO, err: TextIO) -> int:
    """Print every problem of every case file, one line each; exit 2 if any.

    A missing path or a bad file never stops the batch: every file is reported.
    """
    problems, preflights = 0, 0
    files: list[Path] = []
    for raw in paths:
        try:
            files += case_files([raw])
        except ConformanceError as exc:
            print(exc, file=err)
            problems += 1
    for path in files:
        try:
            preflights += len(load_case(path).preflights)
        except CaseFileErrors as exc:
            for line in exc.errors:
                print(line, file=err)
            problems += len(exc.errors)
        except Exception as exc:  # noqa: BLE001 - a loader bug is one line; the batch goes on
            print(f"{path.as_posix()}: internal error, please report it: {type(exc).__name__}: "
                  f"{' '.join(str(exc).split())[:200]}", file=err)
            problems += 1
    if problems:
        print(f"{problems} problem(s) in {len(files)} file(s)", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    print(f"{len(files)} case file(s), {preflights} preflight(s): all valid", file=out)
    return ExitStatus.OK
