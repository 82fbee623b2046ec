"""`oss-conformance`: run | validate | serve | matrix | coverage.

main() returns an ExitStatus; its streams are injected so tests run the CLI in-process.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from . import __version__
from .cases import CaseFileErrors, is_case_file, load_case
from .errors import ConformanceError
from .status import ExitStatus  # re-exported: commands import it from .status

EXIT_CODES = """exit status:
  0  every item passed (known deviations allowed)
  1  conformance failures: a new deviation, or an unexpected pass of a known one
  2  usage error, or a case/targets/expectations file that does not validate
  3  the target cannot be used: unreachable, credentials refused, provisioning failed,
     or a restore of an existing bucket failed
  130 interrupted (an existing bucket is restored first)"""
RUN_EXAMPLES = """examples:
  oss-conformance run                                  # the corpus on the embedded OSS reference
  oss-conformance run --dialect s3                     # ... on the embedded S3 reference
  oss-conformance run --target minio -k wildcard       # a targets.yaml entry, a subset
  oss-conformance run --endpoint http://127.0.0.1:9000 --dialect s3 --dry-run
  oss-conformance run --target prod --bucket my-bucket # an existing bucket, restored at the end"""
COMMANDS = ("run", "validate", "serve", "matrix", "coverage", "restore", "cleanup", "certify",
            "verify", "diff")
TARGET_FLAGS = ("target", "endpoint", "dialect", "bucket", "signature_version", "region",
                "addressing", "latency_ms", "expectations", "max_rps", "concurrency", "browser",
                "browser_executable")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="oss-conformance", description=(
        "CORS conformance suite for Alibaba Cloud OSS and OSS/S3-compatible object stores."),
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the case corpus against a target and write reports",
                         epilog=RUN_EXAMPLES + "\n" + EXIT_CODES,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("paths", nargs="*", default=["cases"], help="case files or folders")
    run.add_argument("--target", help="named target from targets.yaml, or 'reference'")
    run.add_argument("--endpoint", help="endpoint URL, e.g. http://127.0.0.1:9000")
    run.add_argument("--dialect", choices=("oss", "s3"),
                     help="wire dialect of the management calls: oss (alibabacloud-oss-v2) or s3 "
                     "(botocore SigV4); default: the target's, else oss")
    run.add_argument("--bucket", help="existing bucket to use (its CORS rules are restored)")
    run.add_argument("--signature-version", choices=("v4", "v1"),
                     help="OSS signature of the management calls (default: v4)")
    run.add_argument("--region", help="signing region (default: cn-hangzhou for oss, "
                     "us-east-1 for s3)")
    run.add_argument("--addressing", choices=("path", "virtual"),
                     help="bucket in the path (default) or in the host name (virtual needs a DNS "
                     "name, not an IP address)")
    run.add_argument("--latency-ms", help="embedded reference only: delay every answer")
    run.add_argument("--max-rps", help="at most this many requests a second to the target")
    run.add_argument("--concurrency", help="reads of one configuration in flight at once "
                     "(default 8; 1: one request at a time)")
    run.add_argument("--browser", choices=("chromium",),
                     help="confirm every browser verdict in a real headless Chromium")
    run.add_argument("--browser-executable", help="the Chromium binary (default /usr/bin/chromium)")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan (bucket, configuration changes, requests); send nothing")
    run.add_argument("-n", dest="workers", help="parallel workers (pytest-xdist), e.g. 4 or auto")
    run.add_argument("--expectations", help="known deviations file of the target")
    run.add_argument("--update-expectations", action="store_true",
                     help="rewrite the expectations file from this run's failures")
    run.add_argument("--reports", default="reports", help="folder for report.html, "
                     "results.json and junit.xml (default: reports)")
    run.add_argument("--baseline", help="a previous results.json or certificate bundle: print "
                     "what changed (also atop report.html); a regression fails the run")
    run.add_argument("-k", dest="keyword", help="only items matching this pytest expression")
    run.add_argument("-q", "--quiet", action="store_true", help="less terminal output")
    run.add_argument("-v", "--verbose", action="count", default=0,
                     help="one line per item (pytest's -v)")
    run.add_argument("-x", "--exitfirst", action="store_true",
                     help="stop at the first failing item (the bucket is still restored)")
    run.add_argument("--maxfail", type=int, metavar="N", help="stop after N failing items")

    val = sub.add_parser("validate", help="check case files against the schema")
    val.add_argument("paths", nargs="*", default=["cases"])

    serve = sub.add_parser("serve", help="run the reference endpoint (OSS or S3 dialect) until "
                           "interrupted")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--dialect", choices=("oss", "s3"), default="oss",
                       help="wire dialect: oss (OSS V1/V4 signatures, OSS errors) or s3 (SigV4, "
                       "AWS's errors and CORS headers); default oss")
    serve.add_argument("--region", default=None,
                       help="signing region (default: cn-hangzhou for oss, us-east-1 for s3)")
    serve.add_argument("--latency-ms", type=int, default=0, help="delay every response")

    from .report import matrix

    matrix.add_parser(sub)
    from . import restore_cli

    restore_cli.add_parser(sub)
    from . import cleanup, coverage

    coverage.add_parser(sub)
    cleanup.add_parser(sub)
    from . import commands

    for name in commands.NAMES:  # certify, verify, diff
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
        if args.command == "validate":
            return validate(args.paths, out, err)
        if args.command == "serve":
            return serve(args, out)
        if args.command == "cleanup":
            from . import cleanup

            return cleanup.run(args, out, err)
        if args.command == "coverage":
            from . import coverage

            return coverage.run(args, out, err)
        if args.command == "restore":
            from . import restore_cli

            return restore_cli.run(args, out, err)
        if args.command == "matrix":
            from .report import matrix

            return matrix.run(args, out, err)
        if args.command in ("certify", "verify", "diff"):
            from . import commands

            return commands.module(args.command).run(args, out, err)
        from .run import run_suite

        return run_suite(args, out, err)
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return ExitStatus.INTERRUPTED
    except ConformanceError as exc:
        print(f"oss-conformance: {exc}", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR


def case_files(paths: list[str]) -> list[Path]:
    """YAML files named, or found under the folders named, in a stable order."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files += sorted(x for x in p.rglob("*") if is_case_file(x.name))
        elif p.exists():
            files.append(p)
        else:
            raise ConformanceError(f"{raw}: no such file or folder")
    return files


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


def serve(args: argparse.Namespace, out: TextIO) -> int:
    """Run the reference endpoint in the foreground until SIGINT or SIGTERM."""
    from .reference import ReferenceServer
    from .targets import Target, resolve_credentials

    target = Target(endpoint=f"http://{args.host}:{args.port or 1}", region=args.region,
                    dialect=args.dialect)
    creds = resolve_credentials(target)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ReferenceServer(credentials={creds.access_key_id: creds.secret}, host=args.host,
                         port=args.port, region=target.region_name, latency_ms=args.latency_ms,
                         dialect=args.dialect) as srv:
        print(f"reference {args.dialect.upper()} endpoint at {srv.endpoint} (region "
              f"{srv.region}, access key id {creds.access_key_id}); Ctrl-C stops it", file=out,
              flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return ExitStatus.OK
