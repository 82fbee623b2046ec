"""Known deviations of a target, as data: expectations/<target>.yaml keyed by node id.

A listed item becomes a strict xfail: failing as listed is a "known deviation", passing is an
"unexpected pass" (a failure, so the file is kept honest), and an unlisted failure is a "new
deviation". The run fails only on the last two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .cases._source import read_source
from .cases._validate import schema_errors
from .cases._yaml import load_with_lines
from .errors import CaseFormatError, ConformanceError


@dataclass(frozen=True)
class Deviation:
    """One known deviation."""

    reason: str
    bug: str | None = None
    intermittent: bool = False


def default_path(rootdir: Path, target_name: str) -> Path:
    """expectations/<target>.yaml under the rootdir."""
    return rootdir / "expectations" / f"{target_name}.yaml"


def load_expectations(path: Path) -> dict[str, Deviation]:
    """The deviations in `path`; problems are one-line ConformanceErrors naming file:line."""
    try:  # a regular file, bounded, UTF-8, plain YAML: else one line naming file:line
        data, lines = load_with_lines(read_source(path, str(path)), str(path))
    except CaseFormatError as exc:
        raise ConformanceError(str(exc)) from None
    errors = schema_errors(data, lines, str(path), name="expectations")
    if errors:
        raise ConformanceError(str(errors[0]))
    return {nodeid: Deviation(**raw) for nodeid, raw in data["deviations"].items()}


def classify(outcome: str, listed: bool, error: bool = False) -> str:
    """Class of an item: pass, skipped, known/new deviation, unexpected pass, or error.

    `error` marks a failure that is not a conformance verdict (provisioning refused, target
    unreachable): it is reported as such, never as a deviation.
    """
    if outcome == "xfailed":
        return "known deviation"
    if listed and outcome in ("passed", "warned", "xpassed"):
        return "unexpected pass"
    if outcome == "failed":
        return "unexpected pass" if listed else ("error" if error else "new deviation")
    return "skipped" if outcome == "skipped" else "pass"


def write_expectations(path: Path, target: str, records: list[dict],
                       previous: dict[str, Deviation]) -> int:
    """Rewrite `path` from a run's records: every failing item, keeping known reasons."""
    deviations = {}
    for rec in sorted(records, key=lambda r: r["nodeid"]):
        if rec["outcome"] not in ("failed", "xfailed"):
            continue
        old = previous.get(rec["nodeid"])
        entry = {"reason": old.reason if old else summarize(rec)}
        if old and old.bug:
            entry["bug"] = old.bug
        if old and old.intermittent:
            entry["intermittent"] = True
        deviations[rec["nodeid"]] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    header = _kept_header(path) or (
        f"# Known deviations of {target}: written by `oss-conformance run "
        "--update-expectations`.\n# Edit the reasons; keep one line each.\n")
    body = yaml.safe_dump({"target": target, "deviations": deviations}, sort_keys=False,
                          allow_unicode=True, width=1000)
    path.write_text(header + body, encoding="utf-8")
    return len(deviations)


def _kept_header(path: Path) -> str:
    """The leading comment lines of the file being rewritten (what it assumes, e.g. a setting).

    Read bounded: only the first 64 KiB, and only when it is a regular file.
    """
    try:
        if not path.is_file():
            return ""
        with path.open("rb") as fh:
            head = fh.read(65536).decode("utf-8", "replace")
    except OSError:
        return ""
    lines = []
    for line in head.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line if line.endswith("\n") else line + "\n")
    return "".join(lines)


def summarize(record: dict) -> str:
    """A one-line reason from a failing record: what was expected and what came back."""
    if record.get("error"):
        return record["error"].splitlines()[0][:200]
    bad = [c for c in record.get("checks", []) if not c["ok"] and c["level"] == "must"]
    parts = [f"{c['subject'].removeprefix('header:')}: expected {c['expected']}, "
             f"got {c['actual']}" for c in bad[:3]]
    more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
    return ("; ".join(parts) + more)[:300] or "fails"
