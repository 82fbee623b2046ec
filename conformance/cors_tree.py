"""A CORS configuration as the target stored it: every element, in order, nothing modelled away.

The case model (cases/model.py) keeps only what the suite provisions; it has no rule IDs and
no elements a clone adds. A restore must put back, and verify, everything, so it works on the
GetBucketCors body itself, and on this full-fidelity parse of it where a server re-serialises.

A tree is a JSON-able pair: ``[tag, text]`` for a leaf, ``[tag, [child, ...]]`` for an element
with children, tags without namespace, text whitespace-trimmed, children in document order.
Text between children (never in a CORS document) is kept as ``["#text", text]`` children.
Attributes are not kept: no CORS element has any.
"""

from __future__ import annotations

import json
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeET

Tree = list  # [tag, str] or [tag, list[Tree]]
Node = str | list

MAX_BODY = 1024 * 1024  # bytes; S3 caps a CORS configuration at 64 KB, OSS at 16 KB
MAX_DEPTH = 16  # elements deep; a CORS document is 3 deep
ROOT = "CORSConfiguration"


def parse_tree(body: bytes) -> Tree:
    """The full-fidelity parse of a GetBucketCors body; ValueError when it is not one.

    The body comes from the target, so it is untrusted: no DTD, no entities, bounded size
    and depth.
    """
    if len(body) > MAX_BODY:
        raise ValueError(f"the body is {len(body)} bytes, over {MAX_BODY}")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except (SafeET.ParseError, defusedxml.DefusedXmlException) as exc:
        raise ValueError(f"not well-formed XML ({_first_line(exc)})") from None
    tree = _tree(root, 1)
    if tree[0] != ROOT:
        raise ValueError(f"the root element is <{tree[0]}>, not <{ROOT}>")
    return tree


def tree_json(tree: Tree) -> str:
    """One line, for a journal's readers and a failed restore's message."""
    return json.dumps(tree, ensure_ascii=False, separators=(",", ":"))


def valid_tree(value: object, depth: int = 1) -> bool:
    """Whether `value` (read back from a journal) has the shape parse_tree gives."""
    if depth > MAX_DEPTH or not isinstance(value, list) or len(value) != 2:
        return False
    tag, content = value
    if not isinstance(tag, str):
        return False
    if isinstance(content, str):
        return True
    return isinstance(content, list) and all(valid_tree(c, depth + 1) for c in content)


def first_difference(saved: Tree, now: Tree) -> str | None:
    """Where `now` departs from `saved` (path, what was, what is); None when they are equal."""
    if saved[0] != now[0]:
        return f"the root was <{saved[0]}>, now <{now[0]}>"
    return _diff(saved, now, saved[0])


def count_rules(tree: Tree) -> int:
    """How many CORSRule elements the configuration has."""
    content = tree[1]
    return 0 if isinstance(content, str) else sum(1 for c in content if c[0] == "CORSRule")


def _tree(element: Element, depth: int) -> Tree:
    if depth > MAX_DEPTH:
        raise ValueError(f"elements are nested more than {MAX_DEPTH} deep")
    tag = _local(element.tag)
    children = list(element)
    text = (element.text or "").strip()
    if not children:
        return [tag, text]
    out: list = [["#text", text]] if text else []
    for child in children:
        out.append(_tree(child, depth + 1))
        tail = (child.tail or "").strip()
        if tail:
            out.append(["#text", tail])
    return [tag, out]


def _diff(saved: Tree, now: Tree, here: str) -> str | None:
    """Both nodes have the same tag; `here` is their path, e.g. CORSConfiguration/CORSRule[2]."""
    a, b = saved[1], now[1]
    if isinstance(a, str) or isinstance(b, str):
        return None if a == b else f"{here}: saved {_show(a)}, now {_show(b)}"
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        child = f"{here}/{x[0]}[{i}]"
        if x[0] != y[0]:
            return f"{child}: saved {_show(x)}, now {_show(y)} in its place"
        found = _diff(x, y, child)
        if found:
            return found
    if len(a) > len(b):
        return f"{here}: saved child {len(b) + 1} {_show(a[len(b)])} is missing now"
    if len(b) > len(a):
        return f"{here}: child {len(a) + 1} {_show(b[len(a)])} was not there before"
    return None


def _show(node: Node) -> str:
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 200 else text[:197] + "..."


def _local(tag: object) -> str:
    # Comments and processing instructions never reach here: ElementTree drops them.
    return str(tag).rpartition("}")[2]


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else exc.__class__.__name__)[:200]
