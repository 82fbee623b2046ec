"""Schema validation that turns every violation into one line: file:line: field: problem."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..errors import CaseFormatError
from ._limits import MAX_ERRORS
from ._regex import regex_errors
from ._yaml import Path, format_path, line_of

__all__ = ["did_you_mean", "regex_errors", "schema", "schema_errors"]

if TYPE_CHECKING:  # jsonschema is imported only to explain a failure (about 50 ms): every
    # process, xdist workers included, validates valid files with jsonschema-rs alone
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {
    "integer": "an integer", "string": "a string", "array": "a list", "object": "a mapping",
    "boolean": "true or false", "null": "null", "number": "a number",
}
# What a value matching each schema pattern looks like, for messages a person can act on.
_PATTERN_HINTS = {
    "OSS-": ("a clause id such as OSS-21 or S3-4, a doc anchor such as oss:Options, or a "
             "namespaced reference of your own such as app:checkout-upload"),
    "::": "a node id such as cases/<area>/<file>.yaml::<preflight name>[oss]",
    "!#$%": "an HTTP header name",
}


@cache
def schema(name: str = "case") -> dict:
    """The JSON Schema shipped in conformance/cases/schema/<name>.schema.json."""
    text = resources.files("conformance.cases").joinpath(f"schema/{name}.schema.json").read_text()
    return json.loads(text)


@cache
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    # Every shipped schema is registered by its $id, so one may $ref another's definitions.
    names = ("case", "targets", "expectations")
    registry = Registry().with_resources(
        (schema(n)["$id"], Resource.from_contents(schema(n))) for n in names)
    return Draft202012Validator(schema(name), registry=registry)


@cache
def _fast(name: str) -> Any:
    """A compiled validator (jsonschema-rs) for the common case, a valid file; None if absent."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        return jsonschema_rs.validator_for(schema(name))
    except Exception:  # noqa: BLE001 - e.g. a cross-file $ref it cannot resolve: use the slow path
        return None


def schema_errors(
    data: Any, lines: Mapping[Path, int], file: str, name: str = "case"
) -> list[CaseFormatError]:
    """Every schema violation of `data`, one CaseFormatError each, in line order.

    Valid files (nearly all) pass the compiled check; only a failing file is walked again by
    jsonschema, whose errors carry what the one-line messages need.
    """
    fast = _fast(name)
    if fast is not None and fast.is_valid(data):
        return []
    if fast is not None and _more_values_than(data, EXPLAINED_VALUES):
        return [_first_error(fast, data, lines, file)]
    raw = list(islice(_validator(name).iter_errors(data), MAX_ERRORS + 1))
    errors = _unexplained([_most_specific(e) for e in raw[:MAX_ERRORS]])
    found = sorted((_to_error(e, lines, file) for e in errors),
                   key=lambda e: (e.line or 0, e.pointer))
    if len(raw) > MAX_ERRORS:  # 20,000 wrong values are one mistake, not 20,000 lines
        found.append(CaseFormatError(f"more problems not shown: at most {MAX_ERRORS} a file "
                                     "(MAX_ERRORS)", file=file, line=found[-1].line or 1))
    return found


# jsonschema (Python) explains a failure well but walks ~50-300 us a value (20,000 header
# names took 3 s): past this many values, the compiled validator names the first problem alone.
EXPLAINED_VALUES = 2_000


def _more_values_than(data: Any, most: int) -> bool:
    stack, seen = [data], 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > most:
            return True
        if isinstance(value, dict):
            stack += value.values()
        elif isinstance(value, list):
            stack += value
    return False


def _first_error(fast: Any, data: Any, lines: Mapping[Path, int], file: str) -> CaseFormatError:
    """The compiled validator's first violation, as one line (for very large files)."""
    note = f" (over {EXPLAINED_VALUES:,} values in the file: only the first problem is shown)"
    try:
        fast.validate(data)
    except Exception as exc:  # noqa: BLE001 - jsonschema_rs.ValidationError, or a surprise
        path: Path = tuple(getattr(exc, "instance_path", ()))
        text = " ".join(str(getattr(exc, "message", exc)).split())
        return CaseFormatError((text if len(text) <= 200 else text[:197] + "...") + note,
                               file=file, line=line_of(path, lines) or 1,
                               pointer=format_path(path))
    return CaseFormatError("does not match the schema" + note, file=file, line=1)


def _unexplained(errors: list[ValidationError]) -> list[ValidationError]:
    """Drop "missing required field" where an unknown key beside it is that field misspelt.

    `dialet: oss` is then one error, "unknown key 'dialet' (did you mean 'dialect'?)", and not
    a missing 'dialect' reported first without a word about the key that was given.
    """
    unknown: dict[Path, list[str]] = {}
    for e in errors:
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            unknown.setdefault(tuple(e.absolute_path), []).extend(_unknown_keys(e))

    def explained(e: ValidationError) -> bool:
        extra = unknown.get(tuple(e.absolute_path))
        if e.validator != "required" or not extra or not isinstance(e.instance, dict):
            return False
        missing = [k for k in e.validator_value if k not in e.instance]
        return all(difflib.get_close_matches(k, extra, n=1, cutoff=0.6) for k in missing)

    return [e for e in errors if not explained(e)]


def _to_error(err: ValidationError, lines: Mapping[Path, int], file: str) -> CaseFormatError:
    path: Path = tuple(err.absolute_path)
    line = line_of(path, lines)
    if err.validator == "additionalProperties":
        extra = _unknown_keys(err)
        path = (*path, extra[0]) if extra else path
        line = line_of(path, lines)
    return CaseFormatError(_safe_message(err), file=file, line=line or 1,
                           pointer=format_path(path))


def _safe_message(err: ValidationError) -> str:
    """_message, or jsonschema's own (cut to one short line) should a value surprise it."""
    try:
        return _message(err)
    except Exception:  # noqa: BLE001 - a message must never become a traceback
        return " ".join(str(err.message).split())[:200]


def _most_specific(err: ValidationError) -> ValidationError:
    """Inside oneOf/anyOf, report the branch the value was evidently meant for."""
    from jsonschema.exceptions import best_match

    while err.validator in ("oneOf", "anyOf") and err.context and not _only_required(err):
        context = _meant_branches(err)
        # A branch of another type is not meant (120 for a header matcher is not a mapping
        # whose keys are missing): its nested errors would explain the wrong thing.
        mistyped = {e.relative_schema_path[0] for e in context
                    if e.validator == "type" and not e.path}
        typed = [e for e in context if (e.validator != "type" or e.path)
                 and e.relative_schema_path[0] not in mistyped]
        err = best_match(typed or context)
    return err


def _meant_branches(err: ValidationError) -> list[ValidationError]:
    """Errors of the branches the value has the required keys of (a table or a preflight)."""
    context = list(err.context or ())
    lacking = {e.relative_schema_path[0] for e in context
               if e.validator == "required" and not e.path}
    meant = [e for e in context if e.relative_schema_path[0] not in lacking]
    return meant or context  # original order: best_match breaks ties by it


def _only_required(err: ValidationError) -> bool:
    branches = err.validator_value
    return all(isinstance(b, dict) and set(b) == {"required"} for b in branches)


def _unknown_keys(err: ValidationError) -> list[str]:
    known = set(err.schema.get("properties", {}))
    return [k for k in err.instance if k not in known]


def _message(err: ValidationError) -> str:
    v, inst, val = err.validator, err.instance, err.validator_value
    if v == "type":
        wanted = val if isinstance(val, list) else [val]
        return f"{_show(inst)} is not " + " or ".join(_TYPE_NAMES.get(t, t) for t in wanted)
    if v == "required":
        missing = [k for k in val if k not in inst]
        return f"missing required field {missing[0]!r}"
    if v == "additionalProperties":
        known = sorted(err.schema.get("properties", {}))
        key = _unknown_keys(err)[0]
        return f"unknown key {key!r}{did_you_mean(key, known)}; allowed: {', '.join(known)}"
    if v in ("enum", "const"):
        allowed = val if v == "enum" else [val]
        hint = did_you_mean(str(inst), [str(a) for a in allowed])
        return f"{_show(inst)} is not one of {', '.join(map(str, allowed))}{hint}"
    if v in ("oneOf", "anyOf") and _only_required(err) and isinstance(inst, dict):
        return _alternatives_message([b["required"] for b in val], inst)
    if v == "pattern":
        hint = next((h for marker, h in _PATTERN_HINTS.items() if marker in val), None)
        if hint:
            return f"{_show(inst)} is not {hint}"
        return f"{_show(inst)} does not match the pattern {val}"
    if v in ("minItems", "maxItems") and "prefixItems" in err.schema:
        return f"{_show(inst)} must be a [name, value] pair"
    if v == "minItems":
        return "must not be empty" if val == 1 else f"needs at least {val} items"
    if v == "maxItems":
        return f"has more than {val} items"
    if v == "minLength":
        return "must not be empty"
    if v == "minProperties":
        return "must not be empty"
    if v == "minimum":
        return f"{_show(inst)} is below the minimum {val}"
    if v == "maximum":
        return f"{_show(inst)} is above the maximum {val}"
    if v == "uniqueItems":
        return f"{_show(inst)} has duplicate items"
    return err.message


def _alternatives_message(branches: list[list[str]], inst: dict) -> str:
    """Which of several alternative key sets is meant, and what it lacks or has too much."""
    complete = [b for b in branches if all(k in inst for k in b)]
    if len(complete) > 1:
        given = [b[0] for b in complete]
        return (f"give only one of {', '.join(b[0] for b in branches)}, "
                f"not {' and '.join(given)}")
    partial = [b for b in branches if any(k in inst for k in b)]
    if partial:
        missing = [k for k in partial[0] if k not in inst]
        return f"missing required field {missing[0]!r}"
    return f"needs one of {', '.join(b[0] for b in branches)}"


def did_you_mean(word: str, choices: list[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a choice is close (difflib, cutoff 0.6)."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
