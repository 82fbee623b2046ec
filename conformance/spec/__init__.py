"""The OSS CORS reference as data, and how much of it the case corpus covers."""

from __future__ import annotations

from ._analysis import Citation, Coverage, Finding, analyse, load_uncovered
from ._index import EVIDENCE, LEVELS, Clause, clauses, level_by_evidence, parse_index, stronger

__all__ = [
    "EVIDENCE", "LEVELS", "Citation", "Clause", "Coverage", "Finding", "analyse", "clauses",
    "level_by_evidence", "load_uncovered", "parse_index", "stronger",
]
