"""`oss-conformance coverage [PATHS] [--json]`: which reference clauses the case corpus cites.

For every clause of the specification (conformance/spec/*.yaml, as pages in docs/spec/) it lists
the preflights citing it and the level of the checks that do; then every clause no case cites,
with the reason recorded in UNCOVERED.yaml. A citation is the clause id in the `spec` of the
case file, of the preflight, or of any check. Exit statuses:

- 0: every observable clause is cited or explained (warnings allowed);
- 1: some observable clause is neither (each is named on stderr);
- 2: a case file or UNCOVERED.yaml does not validate, a case cites an unknown clause id, or a
  path does not exist: the report cannot be trusted.

Warnings (exit unaffected): an UNCOVERED.yaml entry for a clause that is cited (stale) or not
observable, and a check asserted at a stronger level than the evidence of every clause it cites
allows (e.g. `must` citing only an [unc] clause).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from ..cases import case_files
from ..errors import ConformanceError
from ..spec import Coverage, Finding, analyse
from ..status import ExitStatus

UNCOVERED_NAME = "UNCOVERED.yaml"
_ORDER = {"covered": 0, "explained": 1, "not-observable": 2, "missing": 3}


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register `coverage` on the CLI's subparsers; dispatch the parsed args to run()."""
    parser = subparsers.add_parser(
        "coverage", help="show which reference clauses the case corpus cites",
        description="For every clause of the specification (docs/spec/: OSS-1 … and S3-1 …), "
                    "the preflights citing it; then the clauses no case cites, with their reason "
                    "from UNCOVERED.yaml.")
    parser.add_argument("paths", nargs="*", default=["cases"],
                        help="case files or folders (default: cases)")
    parser.add_argument("--uncovered", metavar="FILE", help=(
        f"reasons for uncited clauses (default: {UNCOVERED_NAME} in the first folder of PATHS)"))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the coverage subcommand; return 0, 1 or 2 as the module docstring says."""
    # Imported here: the CLI imports this module to register the subcommand.

    try:
        files = case_files(args.paths)
    except ConformanceError as exc:
        print(f"oss-conformance: {exc}", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    uncovered = uncovered_path(args.paths, args.uncovered)
    cov = analyse(files, uncovered)
    if uncovered is None and _inside_a_corpus(args.paths):
        # Part of a corpus (cases/preflight): clauses these files do not cite are listed in
        # the report, never failures; only the whole corpus must cite or explain every one.
        cov.findings = [f for f in cov.findings if f.kind != "missing"]
        print("coverage of part of a corpus: clauses these files do not cite are listed, "
              "not failures (run it on the whole corpus to check them)", file=err)
    if args.json:
        json.dump(report_dict(cov), out, indent=2, ensure_ascii=False)
        print(file=out)
    else:
        render(cov, out, err)
    return ExitStatus(cov.exit_code)


def _inside_a_corpus(paths: list[str]) -> bool:
    """Whether every path lies below a folder holding the corpus's UNCOVERED.yaml."""
    def below(path: Path) -> bool:
        return any((parent / UNCOVERED_NAME).is_file() for parent in path.resolve().parents)
    return bool(paths) and all(below(Path(p)) for p in paths)


def uncovered_path(paths: list[str], explicit: str | None = None) -> Path | None:
    """The UNCOVERED.yaml to read: the one named, else the first folder's, if it exists."""
    if explicit:
        return Path(explicit)  # a named file that is missing is reported, not ignored
    folder = next((Path(p) for p in paths if Path(p).is_dir()), None)
    candidate = folder / UNCOVERED_NAME if folder else None
    return candidate if candidate and candidate.is_file() else None


def totals_line(cov: Coverage) -> str:
    """The one-line summary printed last, e.g. for CI logs."""
    t = cov.totals()
    extra = f" (+{t['cited_unobservable']} cited but not observable)" if t[
        "cited_unobservable"] else ""
    return (f"coverage: {t['clauses']} clauses, {t['observable']} observable: "
            f"{t['covered']} covered{extra}, {t['explained']} explained, {t['missing']} missing; "
            f"{t['preflights']} preflights in {t['files']} files; "
            f"{t['errors']} error(s), {t['warnings']} warning(s)")


def render(cov: Coverage, out: TextIO, err: TextIO) -> None:
    """The text report on `out`, every finding as one line on `err`, then the totals line."""
    print("Each clause's text and evidence: docs/spec/oss.md#OSS-<n>, docs/spec/s3.md#S3-<n>\n",
          file=out)
    print("Clauses cited by the corpus (level of the citing checks, then file::preflight):",
          file=out)
    for clause in cov.index.values():
        cites = cov.citations.get(clause.id)
        if cites:
            print(f"{_head(clause.id, cov)}  {len(cites)} preflight(s): {clause.summary}", file=out)
            for cite in cites:
                print(f"    {'/'.join(cite.levels) or 'spec only':<16} {cite.node}", file=out)
    print("\nClauses no case cites:", file=out)
    uncited = [c for c in cov.index.values() if not cov.citations.get(c.id)]
    for clause in sorted(uncited, key=lambda c: _ORDER[cov.status(c.id)]):
        status = cov.status(clause.id)
        why = {"explained": f"explained: {cov.reasons.get(clause.id, '')}",
               "missing": f"MISSING: {clause.summary}",
               "not-observable": clause.note or "not observable"}[status]
        print(f"{_head(clause.id, cov)}  {why}", file=out)
    for finding in sorted(cov.findings, key=_finding_order):
        print(finding, file=err)
    print(totals_line(cov), file=out)


def report_dict(cov: Coverage) -> dict[str, Any]:
    """The --json document: totals, every clause with its citations or reason, every finding."""
    return {
        "totals": cov.totals(),
        "exit_status": cov.exit_code,
        "uncovered_file": cov.uncovered_file,
        "clauses": [
            {
                "id": c.id, "section": c.section, "summary": c.summary, "evidence": c.evidence,
                "level": c.level, "observable": c.observable, "note": c.note or None,
                "status": cov.status(c.id), "reason": cov.reasons.get(c.id),
                "citations": [
                    {"node": ci.node, "file": ci.file, "preflight": ci.preflight,
                     "line": ci.line, "levels": list(ci.levels)}
                    for ci in cov.citations.get(c.id, [])
                ],
            }
            for c in cov.index.values()
        ],
        "findings": [
            {"kind": f.kind, "severity": f.severity, "clause": f.clause, "file": f.file,
             "line": f.line, "message": f.message}
            for f in sorted(cov.findings, key=_finding_order)
        ],
    }


def _head(clause_id: str, cov: Coverage) -> str:
    c = cov.index[clause_id]
    return f"{c.id:<6} §{c.section:<2} {c.evidence}→{c.level:<6}"


def _finding_order(finding: Finding) -> int:
    """Data errors first, then missing clauses, then warnings (stable within each)."""
    return 2 if finding.severity == "warning" else (1 if finding.kind == "missing" else 0)
