"""Building plain data from a composed YAML node graph, within the bounds of `_limits`.

Only strings, integers, floats, true/false, null, lists and mappings with string keys are
built; aliases are followed within MAX_VALUES values and MAX_DEPTH levels. Anything else is a
`Refused` naming the node, which the caller turns into file:line: pointer: problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._limits import MAX_DEPTH, MAX_NUMBER_CHARS, MAX_SCALAR_CHARS, MAX_VALUES

Path = tuple  # a path of dict keys and list indexes, as jsonschema reports them
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # one for all non-string scalars
STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG, _SEQ_TAG = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# The only scalar types built (YAML 1.2's core schema): an implicit date, `=` or `<<` stays a
# string, and any other tag (!!binary, !!timestamp, !!set, local tags) is refused.
_KINDS = {"tag:yaml.org,2002:int": "an integer", "tag:yaml.org,2002:float": "a number",
          "tag:yaml.org,2002:bool": "true or false", "tag:yaml.org,2002:null": "null"}
PLAIN_TAGS = frozenset(_KINDS)


class Refused(Exception):
    """A value the loader will not build (an internal signal: its path is found only then)."""

    def __init__(self, message: str, node: Node, where: Node | None = None) -> None:
        super().__init__(message)
        self.message, self.node, self.where = message, node, where or node


def build_tree(root: Node) -> Any:
    """The data of a node graph, aliases expanded within MAX_VALUES values and MAX_DEPTH levels.

    Scalars are handled inline by their parent: they are most nodes, and a call each counts.
    """
    left = MAX_VALUES

    def build(node: Node, depth: int) -> Any:
        nonlocal left
        if node.__class__ is MappingNode:
            pairs = node.value
            left -= len(pairs)
            if left < 0 or depth > MAX_DEPTH or node.tag != _MAP_TAG:
                raise _collection_refused(node, depth, left)
            out: dict[str, Any] = {}
            for key_node, value_node in pairs:
                if key_node.tag != STR_TAG or key_node.__class__ is not ScalarNode:
                    raise Refused(_key_problem(key_node), key_node, node)
                key = key_node.value
                if key in out:
                    raise Refused(f"duplicate key {key!r}", key_node, node)
                out[key] = (value_node.value if value_node.tag == STR_TAG
                            and value_node.__class__ is ScalarNode
                            else build(value_node, depth + 1))
            return out
        if node.__class__ is SequenceNode:
            items = node.value
            left -= len(items)
            if left < 0 or depth > MAX_DEPTH or node.tag != _SEQ_TAG:
                raise _collection_refused(node, depth, left)
            return [child.value if child.tag == STR_TAG and child.__class__ is ScalarNode
                    else build(child, depth + 1) for child in items]
        return _scalar(node)

    return build(root, 1)


def _collection_refused(node: Node, depth: int, left: int) -> Refused:
    if left < 0:
        return Refused(f"more than {MAX_VALUES:,} values once aliases and tables are "
                       "expanded (MAX_VALUES): refused", node)
    if depth > MAX_DEPTH:
        children = [c for pair in node.value for c in (pair if isinstance(pair, tuple)
                                                        else (pair,))]
        endless = any(n is node for c in children for n in _nodes(c))
        why = "; an alias inside its own anchor nests without end" if endless else ""
        return Refused(f"lists and mappings nested deeper than {MAX_DEPTH} levels "
                       f"(MAX_DEPTH{why}): refused", node)
    return Refused(_tag_problem(node.tag), node)


def _key_problem(key: Node) -> str:
    if key.__class__ is not ScalarNode:
        return "a mapping key must be a string, not a list or a mapping"
    if key.tag not in PLAIN_TAGS:
        return _tag_problem(key.tag)
    return (f"the key {key.value} is read as {_KINDS[key.tag]}; a key must be a string: "
            f"quote it ('{key.value}')")


def _tag_problem(tag: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return (f"unsupported YAML tag {shown}: only strings, numbers, true/false, null, lists and "
            "mappings (quote the value to make it a string)")


def _scalar(node: Node) -> Any:
    """The value of a scalar that is not a plain string: a number, true/false or null."""
    tag = node.tag
    if tag == STR_TAG:
        return node.value
    if tag not in PLAIN_TAGS:
        raise Refused(_tag_problem(tag), node)
    if len(node.value) > MAX_NUMBER_CHARS:
        raise Refused(f"{_KINDS[tag]} of {len(node.value):,} characters: the limit is "
                       f"{MAX_NUMBER_CHARS} (MAX_NUMBER_CHARS); quote it to make it a string", node)
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except Exception:  # noqa: BLE001 - e.g. `!!int x`, `!!bool x`: every failure is a value error
        raise Refused(f"{_show(node.value)} is not {_KINDS[tag]}", node) from None
    finally:  # the shared constructor must not keep nodes (and their files) alive
        _CONSTRUCTOR.constructed_objects.pop(node, None)
        _CONSTRUCTOR.recursive_objects.pop(node, None)


def _show(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_scalar_lengths(root: Node) -> None:
    """Refuse a string longer than MAX_SCALAR_CHARS (each node of the graph visited once)."""
    for node in _nodes(root):
        if node.__class__ is ScalarNode and len(node.value) > MAX_SCALAR_CHARS:
            raise Refused(f"a value of {len(node.value):,} characters: the limit is "
                           f"{MAX_SCALAR_CHARS:,} (MAX_SCALAR_CHARS): refused", node)


def _nodes(root: Node) -> Iterator[Node]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if node.__class__ is MappingNode:
            for key, value in node.value:
                stack += (key, value)
        elif node.__class__ is SequenceNode:
            stack += node.value


def path_to(root: Node, target: Node) -> Path | None:
    """A path from root to the target node (for errors found while building).

    Each node is entered once and no deeper than MAX_DEPTH + 1, so a graph whose aliases
    nest without end (`&a [*a]`) or multiply (an alias bomb) is searched in linear time.
    """
    seen: set[int] = set()
    stack: list[tuple[Node, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen or len(path) > MAX_DEPTH:
            continue
        seen.add(id(node))
        if node.__class__ is MappingNode:
            for key, value in reversed(node.value):
                if key is target:
                    return path
                stack.append((value, (*path, key.value)))
        elif node.__class__ is SequenceNode:
            stack += ((child, (*path, i)) for i, child in reversed(list(enumerate(node.value))))
    return None
