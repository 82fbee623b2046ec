"""Schema validation that turns every violation into one line: file:line: field: problem."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..errors import CaseFormatError
from ._yaml import Path, format_path, line_of

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
    found = [_to_error(e, lines, file) for e in _validator(name).iter_errors(data)]
    return sorted(found, key=lambda e: (e.line or 0, e.pointer))


def _to_error(err: ValidationError, lines: Mapping[Path, int], file: str) -> CaseFormatError:
    err = _most_specific(err)
    path: Path = tuple(err.absolute_path)
    line = line_of(path, lines)
    if err.validator == "additionalProperties":
        extra = _unknown_keys(err)
        path = (*path, extra[0]) if extra else path
        line = line_of(path, lines)
    return CaseFormatError(_message(err), file=file, line=line, pointer=format_path(path))


def _most_specific(err: ValidationError) -> ValidationError:
    """Inside oneOf/anyOf, report the branch the value was evidently meant for."""
    from jsonschema.exceptions import best_match

    while err.validator in ("oneOf", "anyOf") and err.context and not _only_required(err):
        context = _meant_branches(err)
        typed = [e for e in context if e.validator != "type" or e.path]
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
    if v in ("oneOf", "anyOf") and _only_required(err):
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


def regex_errors(pattern: str) -> str | None:
    """Why a case's regex does not compile, or None."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression {pattern!r}: {exc}"
    return None
