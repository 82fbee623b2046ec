"""YAML loading that keeps the line of every value, so errors can point at it."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import CaseFormatError

Path = tuple  # a path of dict keys and list indexes, as jsonschema reports them
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # one for all scalars; its memo cleared per file
_STR_TAG = "tag:yaml.org,2002:str"


def load_with_lines(text: str, file: str) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text; return the data and a map from each value's path to its 1-based line."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    try:
        return _build(node, (), lines, file), lines
    finally:
        _CONSTRUCTOR.constructed_objects.clear()


def _build(node: yaml.Node, path: Path, lines: dict[Path, int], file: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, file)
            if key in out:
                raise CaseFormatError(
                    f"duplicate key {key!r}", file=file, line=key_node.start_mark.line + 1,
                    pointer=format_path(path),
                )
            out[key] = _build(value_node, (*path, key), lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, (*path, i), lines, file) for i, child in enumerate(node.value)]
    return _scalar(node, file)


def _scalar(node: yaml.Node, file: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise CaseFormatError(
            "a mapping key must be a plain value", file=file, line=node.start_mark.line + 1
        )
    if node.tag == _STR_TAG:  # most scalars: the text is the value, no constructor needed
        return node.value
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None


def _yaml_error(exc: yaml.YAMLError, file: str) -> CaseFormatError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return CaseFormatError(text, file=file, line=mark.line + 1 if mark else None)


def format_path(path: Path) -> str:
    """Render a path as `preflights[0].expect.status`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(path: Path, lines: dict[Path, int]) -> int | None:
    """The line of a path, or of its closest ancestor that has one."""
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
