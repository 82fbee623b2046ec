"""Table-driven preflights: `{table: {name, rows, template}}` expands into one preflight per row."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

from ..errors import CaseFormatError
from ._limits import MAX_SCALAR_CHARS, MAX_VALUES
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
    budget = MAX_VALUES - _size(entries)
    for i, entry in enumerate(entries):
        if not _is_table(entry):
            _move(lines, new_lines, ("preflights", i), ("preflights", len(expanded)))
            expanded.append(entry)
            continue
        table = entry["table"]
        budget -= len(table["rows"]) * _size(table["template"])
        if budget < 0:  # rows x template: a few lines could otherwise ask for billions
            return [CaseFormatError(
                f"the tables expand to more than {MAX_VALUES:,} values (MAX_VALUES): refused",
                file=file, line=lines.get(("preflights", i), 1),
                pointer=format_path(("preflights", i, "table")))]
        for r, row in enumerate(table["rows"]):
            where = ("preflights", i, "table", "rows", r)
            line = lines.get(where, lines.get(("preflights", i), 1))
            texts: dict[str, str] = {}  # each column's text, made once per row
            try:
                item = {"name": _fill(table["name"], row, texts),
                        **_fill(copy.deepcopy(table["template"]), row, texts)}
            except _TooLong as exc:
                errors.append(CaseFormatError(str(exc), file=file, line=line,
                                              pointer=format_path(where)))
                continue
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


class _TooLong(Exception):
    """A filled string would pass MAX_SCALAR_CHARS."""


def _size(value: Any) -> int:
    """How many values a built (so bounded) tree holds."""
    if isinstance(value, dict):
        return 1 + sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(v) for v in value)
    return 1


def _fill(value: Any, row: dict, texts: dict[str, str]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in row:
            return row[whole.group(1)]  # the row's value, type kept (a status stays an int)
        names = [m.group(1) for m in _PLACEHOLDER.finditer(value) if m.group(1) in row]
        if not names:
            return value
        for name in names:
            if name not in texts:
                texts[name] = str(row[name])
        length = len(value) + sum(len(texts[n]) for n in names)
        if length > MAX_SCALAR_CHARS:  # "{a}{a}{a}..." with a long a: refused before built
            raise _TooLong(f"a filled value would be {length:,} characters: the limit is "
                           f"{MAX_SCALAR_CHARS:,} (MAX_SCALAR_CHARS)")
        return _PLACEHOLDER.sub(lambda m: texts.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _fill(v, row, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, row, texts) for v in value]
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
