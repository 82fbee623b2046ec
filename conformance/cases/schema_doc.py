"""Render the shipped JSON Schemas as Markdown reference pages (docs/reference/*.md).

`python -m conformance.cases.schema_doc docs/reference` rewrites them; a test fails when the
pages and the schemas drift apart, so the schema stays the single source of truth. Every form a
value may take is listed: each alternative of a oneOf (a bare value, or an object and its keys),
and every inline object (the object form of `browser`, `variants`, a table) gets its own section.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._validate import schema

PAGES = {"case": "case-format.md", "targets": "targets-format.md",
         "expectations": "expectations-format.md"}
CLI_PAGE = "cli.md"
_PAGE_OF = {f"{name}.schema.json": page for name, page in PAGES.items()}


class _Page:
    """One schema's page: sections in order, inline objects queued after their parent."""

    def __init__(self, name: str) -> None:
        self.doc = schema(name)
        self.lines: list[str] = []
        self.queue: list[tuple[str, dict]] = []  # (dotted name, inline object) to document next
        self.queued: set[str] = set()  # inline objects already given a section

    def render(self) -> str:
        self.lines = [f"# {self.doc['title']}", "",
                      f"<!-- generated from conformance/cases/schema/{self.name_of()} by "
                      "`python -m conformance.cases.schema_doc docs/reference`; do not edit -->",
                      ""]
        self.section("Top level", "top-level", self.doc)
        for def_name, definition in self.doc.get("$defs", {}).items():
            if _documented(definition):
                self.section(f"`{def_name}`", def_name, definition)
        return "\n".join(self.lines).rstrip() + "\n"

    def name_of(self) -> str:
        """The schema's file name, from its $id."""
        return self.doc["$id"].rsplit("/", 1)[-1]

    def section(self, title: str, anchor: str, node: dict) -> None:
        """A heading with its anchor, the description, the forms, then inline objects met."""
        self.lines += [f'<a id="{anchor}"></a>', "", f"## {title}", ""]
        if node.get("description"):
            self.lines += [_prose(node["description"]), ""]
        self.body(anchor, node)
        queued, self.queue = self.queue, []
        for dotted, inline in queued:
            self.section(f"`{dotted}`", dotted, inline)

    def body(self, anchor: str, node: dict) -> None:
        """The keys of an object, or the list of forms a value may take."""
        alternatives = node.get("oneOf") or node.get("anyOf")
        if node.get("properties") or (not alternatives and node.get("type") == "object"):
            self.keys(anchor, node)
            return
        if not alternatives:  # a bare value: its type and the rule it follows
            own, each = node.get("pattern"), node.get("items", {}).get("pattern")
            rule = f", matching {_code(own)}" if own else (
                f", each matching {_code(each)}" if each else "")
            self.lines += [f"Type: {self.type_of(node, anchor)}{rule}.", ""]
            return
        self.lines += ["Forms (exactly one applies):", ""]
        for alt in alternatives:
            said = f": {_prose(alt['description'])}" if alt.get("description") else ""
            self.lines.append(f"- {self.form(alt)}{said}")
        self.lines.append("")
        for alt in alternatives:  # an object form: its keys, under the list of forms
            if alt.get("properties"):
                self.lines += [f"The object form {_shape(alt)}:", ""]
                self.keys(anchor, alt)

    def keys(self, anchor: str, node: dict) -> None:
        """The key table, and which keys exclude each other."""
        props = node.get("properties", {})
        if props:
            required = set(node.get("required", []))
            self.lines += ["| key | type | required | meaning |", "| --- | --- | --- | --- |"]
            for key, sub in props.items():
                self.lines.append(f"| `{key}` | {self.type_of(sub, f'{anchor}.{key}')} | "
                                  f"{'yes' if key in required else ''} | {self.meaning(sub)} |")
            self.lines.append("")
        choices = _key_choices(node)
        if len(choices) > 1:
            self.lines += ["Exactly one of: " + "; ".join(
                " + ".join(f"`{k}`" for k in alt) for alt in choices) + ".", ""]
        extra = node.get("additionalProperties")
        if not props and isinstance(extra, dict):
            self.lines += [f"Any key{_key_rule(node)}, each {self.type_of(extra, anchor)}.", ""]

    def form(self, alt: dict) -> str:
        """One alternative as a phrase: a bare value, a reference, or an object's keys."""
        if alt.get("properties"):
            return f"an object {_shape(alt)} (keys below)"
        return f"{_article(alt)}{self.type_of(alt, '')}"

    def type_of(self, node: dict, dotted: str) -> str:
        """The type column: references link to their section; inline objects get one."""
        if "$ref" in node:
            return self.link(node["$ref"])
        if "enum" in node:
            return " \\| ".join(f"`{_literal(v)}`" for v in node["enum"])
        if "const" in node:
            return f"`{_literal(node['const'])}`"
        if "oneOf" in node or "anyOf" in node:
            forms = node.get("oneOf") or node.get("anyOf")
            if any(alt.get("properties") for alt in forms) and dotted:
                self.enqueue(dotted, node)
                return " or ".join(self.type_of(a, "") if not a.get("properties") else
                                   f"[{_shape(a)}](#{dotted})" for a in forms)
            return " or ".join(self.type_of(b, dotted) for b in forms)
        if "if" in node:  # a discriminated choice: then-branch or else-branch
            return f"{self.type_of(node['then'], dotted)} or {self.type_of(node['else'], dotted)}"
        if node.get("properties") and dotted:
            self.enqueue(dotted, node)
            return f"[{_shape(node)}](#{dotted})"
        return self.plain(node, dotted)

    def enqueue(self, dotted: str, node: dict) -> None:
        """Give an inline object its own section once, however many places refer to it."""
        if dotted not in self.queued:
            self.queued.add(dotted)
            self.queue.append((dotted, node))

    def plain(self, node: dict, dotted: str) -> str:
        """Types without a section of their own: scalars, lists, mappings."""
        kind = node.get("type", "any")
        if isinstance(kind, list):
            return " or ".join("`null`" if k == "null" else k for k in kind)
        if kind == "array" and "prefixItems" in node:
            return "list of [" + ", ".join(self.type_of(i, "") for i in node["prefixItems"]) + "]"
        if kind == "array" and "items" in node:
            return f"list of {self.type_of(node['items'], dotted)}"
        extra = node.get("additionalProperties")
        if kind == "object" and isinstance(extra, dict):
            return f"mapping of {self.type_of(extra, dotted)}"
        if kind == "null":
            return "`null`"
        return kind + _bounds(node)

    def link(self, ref: str) -> str:
        """A $ref as a link: `#/$defs/x` on this page, `other.schema.json#/$defs/x` on its own."""
        file, _, pointer = ref.partition("#")
        target = pointer.rsplit("/", 1)[-1]
        if "/properties/" in pointer:  # a reference to one property of a definition
            parent = pointer.split("/")[2]
            node = self.resolve(pointer)
            return self.type_of(node, f"{parent}.{target}") if file == "" else f"`{target}`"
        page = _PAGE_OF.get(file, "") if file else ""
        return f"[`{target}`]({page}#{target})"

    def resolve(self, pointer: str) -> dict:
        """The node a JSON pointer of this schema names."""
        node: dict = self.doc
        for part in pointer.strip("/").split("/"):
            node = node[part]
        return node

    def meaning(self, sub: dict) -> str:
        """The description, else the first sentence of what a reference points at."""
        text = sub.get("description")
        if not text and "$ref" in sub and sub["$ref"].startswith("#/"):
            target = self.resolve(sub["$ref"][1:])
            text = (target.get("description") or "").split(". ")[0].rstrip(".")
            text = f"{text}." if text else ""
        return _prose(text or "").replace("|", "\\|").replace("\n", " ")


def render(name: str) -> str:
    """One schema as a Markdown page: the root, then every definition, form by form."""
    return _Page(name).render()


def _documented(definition: dict) -> bool:
    return any(k in definition for k in ("properties", "oneOf", "anyOf", "enum", "type"))


def _key_choices(node: dict) -> list[list[str]]:
    """Alternatives that only require keys (`oneOf: [{required: [a]}, …]`), not typed forms."""
    alts = node.get("oneOf", [])
    if alts and all(set(a) == {"required"} for a in alts):
        return [a["required"] for a in alts]
    return []


def _shape(node: dict) -> str:
    """An object form at a glance, e.g. `{equals, level, spec}`; choices joined with |."""
    choices = _key_choices(node)
    chosen = {k for alt in choices for k in alt}
    keys = [k for k in node.get("properties", {}) if k not in chosen]
    head = " \\| ".join(", ".join(alt) for alt in choices)
    return "`{" + ", ".join(([head] if head else []) + keys) + "}`"


def _article(alt: dict) -> str:
    if "$ref" in alt:
        return "a "
    if "enum" in alt or "const" in alt or alt.get("type") == "null":
        return ""
    return "a bare "


def _bounds(node: dict) -> str:
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None and high is not None:
        return f" ({low} to {high})"
    return f" (at least {low})" if low is not None else ""


def _key_rule(node: dict) -> str:
    pattern = node.get("propertyNames", {})
    if "$ref" in pattern:
        return " that is an HTTP header name"
    return f" matching `{pattern['pattern']}`" if "pattern" in pattern else ""


def _prose(text: str) -> str:
    """A description as Markdown: `<Code>` outside backticks would be read as an HTML tag."""
    parts = text.split("`")
    parts[::2] = [p.replace("<", "&lt;").replace(">", "&gt;") for p in parts[::2]]
    return "`".join(parts)


def _code(text: str) -> str:
    """Inline code that may itself hold a backtick (a header-name pattern does)."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _literal(value: object) -> str:
    return {True: "true", False: "false", None: "null"}.get(value, str(value)) \
        if isinstance(value, bool) or value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    """Write every page into the folder given (default docs/reference)."""
    folder = Path((argv or sys.argv[1:] or ["docs/reference"])[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, page in PAGES.items():
        (folder / page).write_text(render(name), encoding="utf-8")
    (folder / CLI_PAGE).write_text(render_cli(), encoding="utf-8")
    return 0


def render_cli() -> str:
    """Every subcommand's --help, as argparse prints it, plus the exit statuses."""
    from ..cli import COMMANDS, ExitStatus

    lines = ["# `oss-conformance` command line", "",
             "<!-- generated from conformance/cli.py by `python -m conformance.cases.schema_doc "
             "docs/reference`; do not edit -->", "", "```", _help([]), "```", ""]
    for name in COMMANDS:
        lines += [f"## `oss-conformance {name}`", "", "```", _help([name]), "```", ""]
    lines += ["## Exit statuses", "", "| code | name |", "| --- | --- |"]
    lines += [f"| {s.value} | {s.name.lower().replace('_', ' ')} |" for s in ExitStatus]
    return "\n".join(lines) + "\n"


def _help(argv: list[str]) -> str:
    """What `oss-conformance ARGV --help` prints, wrapped at 100 columns whatever the terminal."""
    import contextlib
    import io
    import os

    from ..cli import build_parser

    out, columns = io.StringIO(), os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            build_parser().parse_args([*argv, "--help"])
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return out.getvalue().rstrip()


if __name__ == "__main__":
    sys.exit(main())
