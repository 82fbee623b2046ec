"""Regex matchers of case files: compiled within bounds, every failure one message."""

from __future__ import annotations

import re
import warnings

from ._limits import MAX_REGEX_CHARS, MAX_REGEX_NESTING, MAX_REGEX_REPEAT


def _show(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def regex_errors(pattern: str) -> str | None:
    """Why a case's regex does not compile or is past the bounds of `_limits`, or None.

    It is compiled with warnings as errors: a FutureWarning (`[[`, a possible nested set)
    would otherwise be printed on stderr, once here and once in every run.
    """
    shown = _show(pattern)
    if len(pattern) > MAX_REGEX_CHARS:
        return (f"regular expression of {len(pattern):,} characters: the limit is "
                f"{MAX_REGEX_CHARS:,} (MAX_REGEX_CHARS)")
    repeat = max((int(n) for braces in _REPEAT_COUNT.findall(pattern)
                  for n in re.findall(r"\d+", braces)), default=0)
    if repeat > MAX_REGEX_REPEAT:
        return (f"regular expression {shown} repeats {repeat:,} times: the limit is "
                f"{MAX_REGEX_REPEAT:,} (MAX_REGEX_REPEAT)")
    if _nesting(pattern) > MAX_REGEX_NESTING:
        return (f"regular expression {shown} nests groups deeper than {MAX_REGEX_NESTING} "
                "(MAX_REGEX_NESTING)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            re.compile(pattern)
    except (re.error, FutureWarning, DeprecationWarning) as exc:
        return f"invalid regular expression {shown}: {exc}"
    except (RecursionError, OverflowError, MemoryError, ValueError) as exc:
        return f"invalid regular expression {shown}: {type(exc).__name__}"
    return None


_REPEAT_COUNT = re.compile(r"\{[\d\s,]*\}")  # {m}, {m,}, {,n}, {m,n}


def _nesting(pattern: str) -> int:
    """How deep groups nest (escaped parentheses skipped; ones in a class counted: a bound)."""
    depth = deepest = 0
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest
