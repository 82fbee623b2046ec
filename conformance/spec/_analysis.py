"""Which clauses a case corpus cites, which UNCOVERED.yaml explains, and what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..cases import CaseFileErrors, load_case
from ..cases._validate import schema_errors
from ..cases._yaml import load_with_lines
from ..cases.model import Case, Check, Level
from ..errors import CaseFormatError
from ._index import LEVELS, Clause, clauses, stronger

_ID = re.compile(r"OSS-[1-9][0-9]*")  # UNCOVERED.yaml explains OSS clauses; S3 ones are cited
_CLAUSE = re.compile(r"(OSS|S3)-[1-9][0-9]*")
# Data errors make the report untrustworthy (exit 2); "missing" is the coverage failure (exit 1).
# An S3 expectation stronger than its S3 evidence, or set by an S3 variant without any S3
# evidence, is an error: the S3 index is new and held to its evidence from the start.
DATA_ERRORS = frozenset({"case-error", "uncovered-error", "unknown-clause", "s3-level",
                         "s3-unbacked"})
WARNINGS = frozenset({"stale", "not-observable-entry", "level-mismatch"})


@dataclass(frozen=True)
class Citation:
    """One preflight citing a clause, with the levels of the checks that carry the id."""

    file: str
    preflight: str
    line: int
    levels: tuple[Level, ...]  # strongest first; () when only a spec list names it, no check

    @property
    def node(self) -> str:
        """`file::preflight name`, the dialect-free part of the node id."""
        return f"{self.file}::{self.preflight}"


@dataclass(frozen=True)
class Finding:
    """One problem of the corpus or of UNCOVERED.yaml; str() is the one-line message."""

    kind: str  # case-error, uncovered-error, unknown-clause, missing, or one of WARNINGS
    message: str
    clause: str | None = None
    file: str | None = None
    line: int | None = None

    @property
    def severity(self) -> str:
        """'warning', 'missing' (an uncited clause: the coverage failure) or 'error' (data)."""
        if self.kind in WARNINGS:
            return "warning"
        return "missing" if self.kind == "missing" else "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (
            f"{self.file}: " if self.file else "")
        return f"{where}{self.severity}: {self.message}"


@dataclass
class Coverage:
    """The coverage of the clause index by a set of case files."""

    index: dict[str, Clause]
    citations: dict[str, list[Citation]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # UNCOVERED.yaml: clause id -> reason
    uncovered_file: str | None = None
    files: int = 0
    preflights: int = 0
    findings: list[Finding] = field(default_factory=list)

    def status(self, clause_id: str) -> str:
        """covered, explained, missing, or not-observable (uncited clauses only)."""
        if self.citations.get(clause_id):
            return "covered"
        if not self.index[clause_id].observable:
            return "not-observable"
        return "explained" if clause_id in self.reasons else "missing"

    def totals(self) -> dict[str, int]:
        """Counts for the totals line; observable = covered + explained + missing."""
        observable = [c for c in self.index.values() if c.observable]
        count = {s: sum(self.status(c.id) == s for c in observable)
                 for s in ("covered", "explained", "missing")}
        return {
            "clauses": len(self.index), "observable": len(observable), **count,
            "cited_unobservable": sum(bool(self.citations.get(c.id))
                                      for c in self.index.values() if not c.observable),
            "preflights": self.preflights, "files": self.files,
            "errors": sum(f.severity == "error" for f in self.findings),
            "warnings": sum(f.severity == "warning" for f in self.findings),
        }

    @property
    def exit_code(self) -> int:
        """2 on a data error (unreadable case, bad UNCOVERED.yaml, unknown id), 1 if missing."""
        if any(f.kind in DATA_ERRORS for f in self.findings):
            return 2
        return 1 if any(f.kind == "missing" for f in self.findings) else 0


def analyse(files: list[Path], uncovered: Path | None,
            index: dict[str, Clause] | None = None) -> Coverage:
    """Load every case file and UNCOVERED.yaml (if given) and cross-check them."""
    cov = Coverage(index=index if index is not None else clauses(), files=len(files))
    for path in files:
        display = path.as_posix()
        try:
            case = load_case(path, display=display)
        except CaseFileErrors as exc:
            cov.findings += [_from_format_error("case-error", e) for e in exc.errors]
            continue
        cov.preflights += len(case.preflights)
        _cite(cov, case, path.read_text(encoding="utf-8"))
    if uncovered is not None:
        cov.uncovered_file = uncovered.as_posix()
        cov.reasons, lines, problems = load_uncovered(uncovered, cov.index)
        cov.findings += problems
        _check_reasons(cov, lines)
    for clause in cov.index.values():
        if cov.status(clause.id) == "missing":
            why = (f"is neither cited by a case nor explained in "
                   f"{cov.uncovered_file or 'an UNCOVERED.yaml'}" if clause.prefix == "OSS"
                   else "is cited by no case (an S3 fact is recorded to back one)")
            cov.findings.append(Finding("missing", (
                f"{clause.id} (§{clause.section}, {clause.evidence}) {why}: {clause.summary}"),
                clause=clause.id))
    return cov


def load_uncovered(path: Path, index: dict[str, Clause]
                   ) -> tuple[dict[str, str], dict[str, int], list[Finding]]:
    """Reasons by clause id, the line of each entry, and every problem as a one-line Finding."""
    file = path.as_posix()
    try:
        data, lines = load_with_lines(path.read_text(encoding="utf-8"), file)
    except (OSError, UnicodeDecodeError) as exc:
        return {}, {}, [Finding("uncovered-error", f"cannot read: {exc}", file=file)]
    except CaseFormatError as exc:
        return {}, {}, [_from_format_error("uncovered-error", exc)]
    if data is None:  # an empty file: nothing is explained
        return {}, {}, []
    problems: list[Finding] = []
    keyed = data
    if isinstance(data, dict):
        # Keys are checked here rather than by the schema's propertyNames, whose errors carry
        # no path and so could not name the line of the bad key.
        keyed = {k: v for k, v in data.items() if isinstance(k, str) and _ID.fullmatch(k)}
        for key in [k for k in data if k not in keyed]:
            problems.append(Finding("uncovered-error", f"{key!r} is not a clause id such as "
                                    "OSS-38", file=file, line=lines.get((key,))))
    problems += [_from_format_error("uncovered-error", e)
                 for e in schema_errors(keyed, lines, file, name="uncovered")]
    if not isinstance(keyed, dict):
        return {}, {}, problems
    reasons = {k: " ".join(v.split()) for k, v in keyed.items()
               if isinstance(v, str) and v.strip()}
    for key in reasons:
        if key not in index:
            problems.append(Finding("uncovered-error", _unknown(key, index), clause=key,
                                    file=file, line=lines.get((key,))))
    known = {k: v for k, v in reasons.items() if k in index}
    return known, {k: lines.get((k,), 1) for k in known}, problems


def _cite(cov: Coverage, case: Case, text: str) -> None:
    reported: set[str] = set()
    problems: set[tuple] = set()
    for pf in case.preflights:
        levels: dict[str, set[Level]] = {}
        for dialect, checks in pf.checks.items():
            shared = set(pf.checks.get("oss", ())) if dialect == "s3" else set()
            for check in checks:
                for ref in check.spec:
                    levels.setdefault(ref, set()).add(check.level)
                for kind, problem in _check_problems(check, cov.index, dialect, shared):
                    key = (kind, pf.name, check.subject, check.level, check.spec)
                    if key not in problems:
                        problems.add(key)
                        cov.findings.append(Finding(kind, f"{pf.name!r}: {problem}",
                                                    file=case.path, line=pf.line))
        for ref in dict.fromkeys((*pf.spec, *levels)):
            if not _CLAUSE.fullmatch(ref):
                continue  # oss:/s3:/fetch: anchors are not clauses of an index
            if ref not in cov.index:
                if ref not in reported:
                    reported.add(ref)
                    cov.findings.append(Finding("unknown-clause", _unknown(ref, cov.index),
                                                clause=ref, file=case.path,
                                                line=_line_of(ref, text) or pf.line))
                continue
            ordered = tuple(lv for lv in LEVELS if lv in levels.get(ref, ()))
            cov.citations.setdefault(ref, []).append(
                Citation(file=case.path, preflight=pf.name, line=pf.line, levels=ordered))


def _check_problems(check: Check, index: dict[str, Clause], dialect: str,
                    shared: set[Check]) -> list[tuple[str, str]]:
    """(kind, message) for each way a check asks more than its evidence gives, in `dialect`.

    Each dialect is judged by its own index: OSS clauses say nothing of AWS, S3 clauses nothing
    of OSS. An OSS mismatch stays a warning, as it always was; an S3 one is an error.
    """
    if dialect != "s3":
        problem = _level_mismatch(check, index, "OSS")
        return [("level-mismatch", problem)] if problem else []
    problem = _level_mismatch(check, index, "S3")
    if problem:
        return [("s3-level", problem)]
    if check not in shared and not any(r.startswith(("S3-", "s3:", "fetch:")) for r in check.spec):
        return [("s3-unbacked", (
            f"{check.subject} is set by the S3 variant but cites no S3 evidence "
            f"({', '.join(check.spec) or 'nothing'}); cite an S3-<n> clause or an s3: page"))]
    return []


def _level_mismatch(check: Check, index: dict[str, Clause], prefix: str) -> str | None:
    """Why a check asks more than every `prefix` clause it cites allows, or None.

    A document anchor (oss:, s3:, fetch:) backs any level; unknown ids are reported elsewhere.
    """
    if any(not _CLAUSE.fullmatch(r) for r in check.spec):
        return None
    refs = [index[r] for r in check.spec if r.startswith(prefix + "-") and r in index]
    if not refs:
        return None
    allowed = next(lv for lv in LEVELS if any(c.level == lv for c in refs))
    if not stronger(check.level, allowed):
        return None
    cited = ", ".join(f"{c.id} [{c.evidence}]" for c in refs)
    return (f"{check.subject} is asserted at {check.level}, but it cites only {cited}, "
            f"which supports at most {allowed}")


def _check_reasons(cov: Coverage, lines: dict[str, int]) -> None:
    for cid in cov.reasons:
        where = {"file": cov.uncovered_file, "line": lines.get(cid), "clause": cid}
        cited = cov.citations.get(cid)
        if cited:
            cov.findings.append(Finding("stale", (
                f"{cid} is cited by {len(cited)} preflight(s) (first: {cited[0].node}); "
                "remove its stale entry"), **where))
        elif not cov.index[cid].observable:
            note = cov.index[cid].note or "not observable on the wire"
            cov.findings.append(Finding("not-observable-entry", f"{cid} needs no entry ({note})",
                                        **where))


def _unknown(cid: str, index: dict[str, Clause]) -> str:
    prefix = cid.split("-", 1)[0]
    ids = [k for k in index if k.split("-", 1)[0] == prefix]
    span = f" ({ids[0]} … {ids[-1]})" if ids else ""
    where, page = ("the S3 evidence index", "s3") if prefix == "S3" else ("the reference", "oss")
    return f"{cid} is not a clause of {where}{span}: see docs/spec/{page}.md"


def _line_of(ref: str, text: str) -> int | None:
    """The first non-comment line naming `ref` (the model keeps no line per spec entry)."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(ref)}(?![0-9])")
    return next((n for n, line in enumerate(text.splitlines(), 1)
                 if not line.lstrip().startswith("#") and pattern.search(line)), None)


def _from_format_error(kind: str, err: CaseFormatError) -> Finding:
    message = f"{err.pointer}: {err.message}" if err.pointer else err.message
    return Finding(kind, message, file=err.file or None, line=err.line)
