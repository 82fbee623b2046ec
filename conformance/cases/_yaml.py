"""YAML loading that keeps the line of every value, so errors can point at it.

Lines are not recorded while the data is built: a valid file only ever asks for a few of them
(one per preflight), so `Lines` answers from the composed node tree on demand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import CaseFormatError

Path = tuple  # a path of dict keys and list indexes, as jsonschema reports them
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # one for all non-string scalars
_STR_TAG = "tag:yaml.org,2002:str"


class _Loader(_BASE):  # type: ignore[misc,valid-type]
    """The safe loader, with a resolver that answers the common cases without its generic walk.

    The composer asks the resolver about every node (a third of the compose time). The safe
    loader has no path resolvers, so only a plain scalar whose first character starts an
    implicit type (a digit, `-`, `~`, `y`, `t`, ...) needs the regular expressions.
    """

    _IMPLICIT_FIRST = frozenset(k for k in _BASE.yaml_implicit_resolvers if k is not None)
    _WILDCARD = None in _BASE.yaml_implicit_resolvers

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers: nothing to track."""

    def ascend_resolver(self) -> None:
        """No path resolvers: nothing to track."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        """The tag of a node without an explicit one."""
        if kind is ScalarNode:
            if not implicit[0] or (value and not self._WILDCARD
                                   and value[0] not in self._IMPLICIT_FIRST):
                return _STR_TAG
            return _plain_tag(value)
        return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else self.DEFAULT_MAPPING_TAG


@lru_cache(maxsize=4096)
def _plain_tag(value: str) -> str:
    """The tag of a plain scalar (statuses, true, ~ ... repeat across files: matched once)."""
    return _RESOLVER.resolve(ScalarNode, value, (True, False))


_RESOLVER = yaml.resolver.Resolver()  # the safe loaders' resolver, outside any document


class _Duplicate(Exception):
    """A mapping repeats a key (an internal signal: its path is found only when it happens)."""

    def __init__(self, key: Any, key_node: Node, mapping: MappingNode) -> None:
        super().__init__(key)
        self.key, self.key_node, self.mapping = key, key_node, mapping


def load_with_lines(text: str, file: str) -> tuple[Any, Lines]:
    """Parse YAML text; return the data and a map from each value's path to its 1-based line."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    if node is None:
        return None, Lines(None, file)
    try:
        return _build(node, file), Lines(node, file)
    except _Duplicate as dup:
        raise CaseFormatError(
            f"duplicate key {dup.key!r}", file=file, line=dup.key_node.start_mark.line + 1,
            pointer=format_path(_path_to(node, dup.mapping, file) or ()),
        ) from None


def _build(node: Node, file: str) -> Any:
    # Scalars are handled inline by their parent: they are most nodes, and a call each counts.
    if node.__class__ is MappingNode:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (key_node.value if key_node.tag == _STR_TAG and key_node.__class__ is ScalarNode
                   else _scalar(key_node, file))
            if key in out:
                raise _Duplicate(key, key_node, node)
            out[key] = (value_node.value if value_node.tag == _STR_TAG
                        and value_node.__class__ is ScalarNode else _build(value_node, file))
        return out
    if node.__class__ is SequenceNode:
        return [child.value if child.tag == _STR_TAG and child.__class__ is ScalarNode
                else _build(child, file) for child in node.value]
    return _scalar(node, file)


def _scalar(node: Node, file: str) -> Any:
    if node.__class__ is not ScalarNode:
        raise CaseFormatError(
            "a mapping key must be a plain value", file=file, line=node.start_mark.line + 1
        )
    if node.tag == _STR_TAG:  # most scalars: the text is the value, no constructor needed
        return node.value
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    finally:  # the shared constructor must not keep nodes (and their files) alive
        _CONSTRUCTOR.constructed_objects.pop(node, None)
        _CONSTRUCTOR.recursive_objects.pop(node, None)


class Lines(MutableMapping):
    """Path -> 1-based line of the value there, read from the node tree when first asked.

    Looking one path up walks down to it; listing or changing the map (table expansion does)
    first records every path, as a plain dict.
    """

    def __init__(self, root: Node | None, file: str) -> None:
        self._root, self._file = root, file
        self._all: dict[Path, int] | None = None if root is not None else {}

    def get(self, path: Path, default: Any = None) -> Any:
        """The line of exactly this path, or default."""
        if self._all is not None:
            return self._all.get(path, default)
        node = _child_at(self._root, path, self._file)
        return default if node is None else node.start_mark.line + 1

    def __getitem__(self, path: Path) -> int:
        line = self.get(path)
        if line is None:
            raise KeyError(path)
        return line

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self.get(path) is not None

    def _every(self) -> dict[Path, int]:
        if self._all is None:
            self._all = {}
            _record(self._root, (), self._all, self._file)
            self._root = None  # no longer needed
        return self._all

    def __setitem__(self, path: Path, line: int) -> None:
        self._every()[path] = line

    def __delitem__(self, path: Path) -> None:
        del self._every()[path]

    def __iter__(self) -> Iterator[Path]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())


def _child_at(node: Node | None, path: Path, file: str) -> Node | None:
    """The node at a path of keys and indexes, or None."""
    for part in path:
        if node.__class__ is MappingNode:
            node = next((v for k, v in node.value if _scalar(k, file) == part), None)
        elif node.__class__ is SequenceNode and isinstance(part, int) and part >= 0:
            node = node.value[part] if part < len(node.value) else None
        else:
            return None
    return node


def _record(node: Node, path: Path, lines: dict[Path, int], file: str) -> None:
    lines[path] = node.start_mark.line + 1
    if node.__class__ is MappingNode:
        for key_node, value_node in node.value:
            _record(value_node, (*path, _scalar(key_node, file)), lines, file)
    elif node.__class__ is SequenceNode:
        for i, child in enumerate(node.value):
            _record(child, (*path, i), lines, file)


def _path_to(node: Node, target: Node, file: str) -> Path | None:
    """The path of the target node below node (for errors found while building)."""
    if node is target:
        return ()
    children: list[tuple[Any, Node]] = []
    if node.__class__ is MappingNode:
        children = [(_scalar(k, file), v) for k, v in node.value if k.__class__ is ScalarNode]
    elif node.__class__ is SequenceNode:
        children = list(enumerate(node.value))
    for part, child in children:
        below = _path_to(child, target, file)
        if below is not None:
            return (part, *below)
    return None


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


def line_of(path: Path, lines: Mapping[Path, int]) -> int | None:
    """The line of a path, or of its closest ancestor that has one."""
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
