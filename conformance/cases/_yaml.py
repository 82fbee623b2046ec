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
from ._limits import MAX_DEPTH, MAX_SCALAR_CHARS, MAX_VALUES
from ._source import unprintable_error
from ._tree import (
    PLAIN_TAGS,
    STR_TAG,
    Path,
    Refused,
    build_tree,
    check_scalar_lengths,
    path_to,
)

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
_RESOLVER = yaml.resolver.Resolver()  # the safe loaders' resolver, outside any document


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
                return STR_TAG
            # Only short values are cached: a hostile file's long ones would stay in memory.
            return _plain_tag(value) if len(value) <= 64 else _plain_tag.__wrapped__(value)
        return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else self.DEFAULT_MAPPING_TAG


@lru_cache(maxsize=4096)
def _plain_tag(value: str) -> str:
    """The tag of a plain scalar (statuses, true, ~ ... repeat across files: matched once)."""
    tag = _RESOLVER.resolve(ScalarNode, value, (True, False))
    return tag if tag in PLAIN_TAGS else STR_TAG


def load_with_lines(text: str, file: str) -> tuple[Any, Lines]:
    """Parse YAML text; return the data and a map from each value's path to its 1-based line.

    Only plain data is built: strings, integers, floats, true/false, null, lists and mappings
    with string keys. Anything else, and anything past the bounds of `_limits`, is one
    CaseFormatError naming the line.
    """
    if len(text) > MAX_VALUES // 2:  # shorter texts cannot hold that many separators
        _check_density(text, file)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.reader.ReaderError:  # libyaml's position is in bytes: find the character
        raise unprintable_error(text, file) or CaseFormatError(
            "invalid YAML: a character YAML does not allow", file=file, line=1) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    except RecursionError:  # the pure-Python composer (no libyaml, which stops at 1,000 levels)
        raise CaseFormatError(f"lists and mappings nested too deeply to read (MAX_DEPTH is "
                              f"{MAX_DEPTH}): refused", file=file, line=1) from None
    if node is None:
        return None, Lines(None, file)
    try:
        if len(text) > MAX_SCALAR_CHARS:  # shorter texts cannot hold a longer scalar
            check_scalar_lengths(node)
        return build_tree(node), Lines(node, file)
    except Refused as refused:
        path = path_to(node, refused.where) or ()
        pointer = format_path(path[:8]) + ("..." if len(path) > 8 else "")  # deep: the top
        raise CaseFormatError(refused.message, file=file, line=refused.node.start_mark.line + 1,
                              pointer=pointer) from None


# What can start a YAML value: flow separators, block indicators (followed by a blank), and
# line breaks. A '-' or ':' inside a word (a header name, a URL) starts none.
_SEPARATORS = (",", "[", "{", "\n", "- ", "-\t", "-\n", ": ", ":\t", ":\n", "? ")


def _separators(text: str) -> int:
    return sum(text.count(s) for s in _SEPARATORS)


def _check_density(text: str, file: str) -> None:
    """Refuse, before composing it, a text with room for more than MAX_VALUES values.

    Every YAML value but the first follows one of the separators, and a flow mapping entry
    may make two values of one: composing a megabyte of `{a,a,a,...}` would take seconds and
    hundreds of MB before the value count could be checked.
    """
    most = MAX_VALUES // 2  # each separator may start two values
    if _separators(text) <= most:
        return
    seen, line_no = 0, 0
    for line_no, line in enumerate(text.split("\n"), 1):  # noqa: B007 - the line is reported
        seen += _separators(line + "\n")
        if seen > most:
            break
    raise CaseFormatError(
        f"too many values: more than {most:,} separators (commas, brackets, braces, '- ', ': ', "
        f"'? ' and line breaks) by this line, room for over {MAX_VALUES:,} values (MAX_VALUES): "
        "refused", file=file, line=line_no)


class Lines(MutableMapping):
    """Path -> 1-based line of the value there, read from the node tree when first asked.

    Looking one path up walks down to it; listing or changing the map (table expansion does)
    first records every path, as a plain dict.
    """

    def __init__(self, root: Node | None, file: str) -> None:
        self._root, self._file, self._asked = root, file, 0
        self._all: dict[Path, int] | None = None if root is not None else {}

    def get(self, path: Path, default: Any = None) -> Any:
        """The line of exactly this path, or default."""
        if self._all is None and self._asked > 32:  # many lookups: one walk, then O(1) each
            self._every()
        if self._all is not None:
            return self._all.get(path, default)
        self._asked += 1
        node = _child_at(self._root, path)
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
            _record(self._root, (), self._all)
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


def _child_at(node: Node | None, path: Path) -> Node | None:
    """The node at a path of keys and indexes, or None."""
    for part in path:
        if node.__class__ is MappingNode:
            node = next((v for k, v in node.value if k.value == part), None)
        elif node.__class__ is SequenceNode and isinstance(part, int) and part >= 0:
            node = node.value[part] if part < len(node.value) else None
        else:
            return None
    return node


def _record(node: Node, path: Path, lines: dict[Path, int]) -> None:
    """Every path's line (the tree was built, so it is within MAX_VALUES and MAX_DEPTH)."""
    lines[path] = node.start_mark.line + 1
    if node.__class__ is MappingNode:
        for key_node, value_node in node.value:
            _record(value_node, (*path, key_node.value), lines)
    elif node.__class__ is SequenceNode:
        for i, child in enumerate(node.value):
            _record(child, (*path, i), lines)


def _yaml_error(exc: yaml.YAMLError, file: str) -> CaseFormatError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return CaseFormatError(text, file=file, line=mark.line + 1 if mark else 1)


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
