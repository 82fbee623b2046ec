"""`oss-conformance matrix`: several targets' results.json side by side on one page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from ..errors import ConformanceError
from ..report._matrix_html import render
from ..report.matrix import DEFAULT_OUT, load_results, matrix_model, write_page
from ..status import ExitStatus


def add_parser(subparsers: Any) -> None:
    """Register `matrix RESULTS.json ... [--out PATH] [--label NAME ...]` on the subparsers."""
    parser = subparsers.add_parser(
        "matrix", help="compare several targets' results.json on one HTML page")
    parser.add_argument("results", nargs="+", metavar="RESULTS.json",
                        help="results.json of one run each; every file is a column")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help=f"where to write the page (default: {DEFAULT_OUT})")
    parser.add_argument("--label", action="append", default=[], metavar="LABEL",
                        help="column label, once per RESULTS.json in order (default: the "
                        "target's name, else dialect@host)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write the matrix page; 0 when written, 2 with one line on stderr for a bad input."""
    try:
        labels = list(getattr(args, "label", None) or [])
        if len(labels) > len(args.results):
            raise ConformanceError(f"--label given {len(labels)} times for "
                                   f"{len(args.results)} results file(s)")
        docs = [load_results(Path(p)) for p in args.results]
        matrix = matrix_model(docs, labels)
        write_page(Path(args.out), render(matrix))
    except ConformanceError as exc:
        print(f"oss-conformance matrix: {exc}", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    counts = ", ".join(f"{c.label} {c.passed}/{c.ran} pass" for c in matrix.columns)
    print(f"matrix: {args.out} ({counts})", file=out)
    return ExitStatus.OK
