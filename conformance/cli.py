"""`oss-conformance`: the argument parser and the dispatch to one module per subcommand.

Each subcommand lives in conformance/commands/<name>.py with `add_parser(sub)` and
`run(args, out, err)`. They take ExitStatus from conformance.status and never import this
module, so imports run one way. main() returns an ExitStatus; its streams are injected so
tests run the CLI in-process.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from . import __version__, commands
from .errors import ConformanceError
from .status import EXIT_CODES, ExitStatus

COMMANDS = commands.NAMES
__all__ = ["COMMANDS", "EXIT_CODES", "ExitStatus", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="oss-conformance", description=(
        "CORS conformance suite for Alibaba Cloud OSS and OSS/S3-compatible object stores."),
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        commands.module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Entry point of the console script and of `python -m conformance`."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed the one-line usage error
        return ExitStatus.OK if exc.code == 0 else ExitStatus.USAGE_OR_CASE_ERROR
    try:
        return commands.module(args.command).run(args, out, err)
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return ExitStatus.INTERRUPTED
    except ConformanceError as exc:
        print(f"oss-conformance: {exc}", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
