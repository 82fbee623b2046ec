"""`oss-conformance matrix`: several targets' results.json side by side on one HTML page.

Each results.json is one target's run and becomes one column; rows are items keyed by node id
without the dialect suffix, so the same preflight lines up across targets. The page itself is
built by `_matrix_html`; this module loads and checks the inputs and derives the table.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConformanceError
from . import _matrix_html
from ._matrix_html import LABELS, PASSING, clean
from .html_page import LABEL_LIMIT, target_label
from .results import RESULTS_SCHEMA_VERSION

__all__ = ["LABELS", "build_matrix", "cell_status", "load_results", "matrix_model",
           "write_page"]

DEFAULT_OUT = "reports/matrix.html"
_DIALECT_SUFFIX = re.compile(r"\[[^\[\]]*\]\Z")


@dataclass
class Column:
    """One target: one results.json."""

    label: str  # --label, target.name or dialect@host, made unique among the columns
    target: dict
    doc: dict
    counts: Counter = field(default_factory=Counter)  # status -> cells

    @property
    def passed(self) -> int:
        """Items that passed (warnings included)."""
        return sum(self.counts[s] for s in PASSING)

    @property
    def ran(self) -> int:
        """Items this target has a record for."""
        return sum(n for s, n in self.counts.items() if s != "notrun")


@dataclass
class Row:
    """One item across targets: the record and status of each column (None: not run)."""

    key: str
    area: str
    title: str
    preflight: str
    records: list[dict | None]
    statuses: list[str]


@dataclass
class Matrix:
    """Everything the page shows, derived from the results docs."""

    columns: list[Column]
    rows: list[Row]
    areas: dict[str, list[tuple[int, int]]]  # area -> per column (passed, ran)
    shadowed: int  # records hidden because their doc held the same row twice


def load_results(path: Path) -> dict:
    """Read one results.json; anything else is a one-line ConformanceError naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConformanceError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConformanceError(f"{path}: not a results.json (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ConformanceError(f"{path}: not a results.json (invalid JSON at line "
                               f"{exc.lineno} column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ConformanceError(f"{path}: not a results.json (JSON nested too deeply)") from None
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise ConformanceError(f"{path}: not a results.json (no schema_version)")
    if doc["schema_version"] != RESULTS_SCHEMA_VERSION:
        raise ConformanceError(f"{path}: results.json schema_version "
                               f"{str(doc['schema_version'])[:20]!r} is not supported "
                               f"(expected {RESULTS_SCHEMA_VERSION})")
    items = doc.get("items")
    if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("nodeid"), str) for i in items):
        raise ConformanceError(f"{path}: not a results.json (items must be a list of "
                               "records with a nodeid)")
    return doc


def build_matrix(docs: list[dict], labels: list[str] | None = None) -> str:
    """The self-contained HTML page for these results docs, one column each (pure)."""
    return _matrix_html.render(matrix_model(docs, labels))


def row_key(nodeid: str) -> str:
    """The node id without its `[dialect]` suffix: the same item across targets."""
    return _DIALECT_SUFFIX.sub("", nodeid)


def area_of(record: dict) -> str:
    """The folder under cases/ that holds the item's case file."""
    case = record.get("case")
    path = case if isinstance(case, str) and case else row_key(record["nodeid"]).split("::")[0]
    dirs = path.replace("\\", "/").split("/")[:-1]
    if "cases" in dirs:  # the last one: a checkout may itself live under a folder named cases
        below = dirs[len(dirs) - dirs[::-1].index("cases"):]
        if below:
            return below[0]
    return dirs[-1] if dirs else "(top level)"


def cell_status(record: dict | None) -> str:
    """One of LABELS' keys for a record (None: the target did not run the item)."""
    if record is None or record.get("outcome") == "skipped":
        return "notrun"
    classification, outcome = record.get("classification"), record.get("outcome")
    if classification == "known deviation":
        return "known"
    if classification == "unexpected pass":
        return "unexpected"
    if record.get("error") or outcome == "error":
        return "error"
    if classification == "new deviation" or outcome == "failed":
        return "new"
    if outcome == "warned":
        return "warned"
    if outcome == "passed" and classification in ("pass", None):
        return "pass"
    return "error"  # an outcome this version does not know: never show it as a pass


def matrix_model(docs: list[dict], labels: list[str] | None = None) -> Matrix:
    """The page's content: one column per results doc, rows by area, counts per column."""
    columns = _columns(docs, labels or [])
    rows, shadowed = _fill(columns, docs)
    areas: dict[str, list[list[int]]] = {}
    for row in rows:  # rows come sorted by area, so the areas keep that order
        per = areas.setdefault(row.area, [[0, 0] for _ in columns])
        for i, status in enumerate(row.statuses):
            per[i][0] += status in PASSING
            per[i][1] += status != "notrun"
    return Matrix(columns, rows, {a: [(p, n) for p, n in per] for a, per in areas.items()},
                  shadowed)


def _columns(docs: list[dict], labels: list[str]) -> list[Column]:
    """One column per doc: its --label, else the target's name, else dialect@host."""
    columns: list[Column] = []
    used: set[str] = set()
    for i, doc in enumerate(docs, 1):
        target = doc.get("target") if isinstance(doc.get("target"), dict) else {}
        given = labels[i - 1] if i <= len(labels) else ""
        # Cleaned: the label also reaches the terminal, where control bytes would act.
        base = clean(given).strip()[:LABEL_LIMIT] or target_label(target) or f"target {i}"
        label, n = base, 1
        while label in used:  # two runs of one target (or two targets sharing a name)
            n += 1
            label = f"{base} #{n}"
        used.add(label)
        columns.append(Column(label=label, target=target, doc=doc))
    return columns


def _fill(columns: list[Column], docs: list[dict]) -> tuple[list[Row], int]:
    """Rows sorted by area then key, column counts; also how many records shared a cell."""
    rows: dict[str, Row] = {}
    shadowed = 0
    for col, doc in enumerate(docs):
        # Sorted so that when one doc holds several dialects of an item, the kept one is stable.
        for rec in sorted(doc["items"], key=lambda r: r["nodeid"]):
            key = row_key(rec["nodeid"])
            row = rows.get(key)
            if row is None:
                row = rows[key] = Row(key=key, area=area_of(rec), title=_text(rec.get("title")),
                                      preflight=_text(rec.get("preflight")),
                                      records=[None] * len(docs), statuses=[])
            if row.records[col] is not None:
                shadowed += 1
                continue
            row.records[col] = rec
    ordered = sorted(rows.values(), key=lambda r: (r.area, r.key))
    for row in ordered:
        row.statuses = [cell_status(rec) for rec in row.records]
        for column, status in zip(columns, row.statuses, strict=True):
            column.counts[status] += 1
    return ordered, shadowed


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def write_page(path: Path, page: str) -> None:
    """Write atomically, so a half-written page never replaces a good one."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".matrix-", suffix=".html")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)  # a report to share, not mkstemp's private 0600
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ConformanceError(f"cannot write {path}: {exc.strerror or exc}") from None
