"""Table-driven preflights: `{table: {name, rows, template}}` expands into one preflight per row."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

from ..errors import CaseFormatError
from ._validate import did_you_mean
from ._yaml import Path, format_path

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_tables(data: dict, lines: MutableMapping[Path, int], file: str) -> list[CaseFormatError]:
    """Replace every table entry of data["preflights"] by its rows, in place; map their lines.

    Each generated preflight (and everything under it) gets the line of its row, so a problem
    found when the expanded file is validated points at the row that caused it.
    """
    if not has_tables(data):
        return []
    entries = data["preflights"]
    errors: list[CaseFormatError] = []
    expanded: list[Any] = []
    new_lines = {k: v for k, v in lines.items() if not (k and k[0] == "preflights")}
    new_lines[("preflights",)] = lines.get(("preflights",), 1)
    for i, entry in enumerate(entries):
        if not _is_table(entry):
            _move(lines, new_lines, ("preflights", i), ("preflights", len(expanded)))
            expanded.append(entry)
            continue
        table = entry["table"]
        for r, row in enumerate(table["rows"]):
            where = ("preflights", i, "table", "rows", r)
            line = lines.get(where, lines.get(("preflights", i), 1))
            item = {"name": _fill(table["name"], row), **_fill(copy.deepcopy(table["template"]),
                                                               row)}
            for name in sorted(_unfilled(item, row)):
                errors.append(CaseFormatError(
                    f"placeholder {{{name}}} has no column in this row"
                    f"{did_you_mean(name, sorted(row))}", file=file, line=line,
                    pointer=format_path(where)))
            new_lines[("preflights", len(expanded))] = line
            expanded.append(item)
    data["preflights"] = expanded
    lines.clear()
    lines.update(new_lines)
    return errors


def has_tables(data: dict) -> bool:
    """Whether any entry of data["preflights"] is a table."""
    entries = data.get("preflights")
    return isinstance(entries, list) and any(_is_table(e) for e in entries)


def _is_table(entry: Any) -> bool:
    return isinstance(entry, dict) and "table" in entry


def _fill(value: Any, row: dict) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in row:
            return row[whole.group(1)]  # the row's value, type kept (a status stays an int)
        return _PLACEHOLDER.sub(
            lambda m: str(row[m.group(1)]) if m.group(1) in row else m.group(0), value)
    if isinstance(value, dict):
        return {k: _fill(v, row) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, row) for v in value]
    return value


def _unfilled(value: Any, row: dict) -> set[str]:
    """Placeholders left after filling: names no column of the row provides."""
    if isinstance(value, str):
        return {m.group(1) for m in _PLACEHOLDER.finditer(value) if m.group(1) not in row}
    if isinstance(value, dict):
        return set().union(*(_unfilled(v, row) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_unfilled(v, row) for v in value))
    return set()


def _move(old: Mapping[Path, int], new: dict[Path, int], src: Path, dst: Path) -> None:
    for path, line in old.items():
        if path[:len(src)] == src:
            new[dst + path[len(src):]] = line
