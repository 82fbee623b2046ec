"""Render the shipped JSON Schemas as Markdown reference pages (docs/reference/*.md).

`python -m conformance.cases.schema_doc docs/reference` rewrites them; a test fails when the
pages and the schemas drift apart, so the schema stays the single source of truth.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._validate import schema

PAGES = {"case": "case-format.md", "targets": "targets-format.md",
         "expectations": "expectations-format.md"}
CLI_PAGE = "cli.md"


def render(name: str) -> str:
    """One schema as a Markdown page: the root, then every definition, property by property."""
    doc = schema(name)
    lines = [f"# {doc['title']}", "",
             f"<!-- generated from conformance/cases/schema/{name}.schema.json by "
             "`python -m conformance.cases.schema_doc docs/reference`; do not edit -->", ""]
    lines += _section("Top level", doc)
    for def_name, definition in doc.get("$defs", {}).items():
        if "properties" in definition or "oneOf" in definition or "enum" in definition:
            lines += _section(f"`{def_name}`", definition)
    return "\n".join(lines).rstrip() + "\n"


def _section(title: str, node: dict) -> list[str]:
    out = [f"## {title}", ""]
    if node.get("description"):
        out += [node["description"], ""]
    props = node.get("properties", {})
    if props:
        required = set(node.get("required", []))
        out += ["| key | type | required | meaning |", "| --- | --- | --- | --- |"]
        for key, sub in props.items():
            meaning = (sub.get("description") or "").replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{key}` | {_type(sub)} | {'yes' if key in required else ''} "
                       f"| {meaning} |")
        out.append("")
    alternatives = [b.get("required") for b in node.get("oneOf", []) if "required" in b]
    if alternatives:
        out += ["Exactly one of: " + "; ".join(" + ".join(f"`{k}`" for k in alt)
                                               for alt in alternatives) + ".", ""]
    return out


def _type(node: dict) -> str:
    if "$ref" in node:
        return f"`{node['$ref'].rsplit('/', 1)[-1]}`"
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`".replace("True", "true")
    if "oneOf" in node:
        return " or ".join(_type(b) for b in node["oneOf"])
    if "if" in node:  # a discriminated choice: then-branch or else-branch
        return f"{_type(node['then'])} or {_type(node['else'])}"
    kind = node.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array" and "items" in node:
        return f"list of {_type(node['items'])}"
    if kind == "object" and "additionalProperties" in node and isinstance(
            node["additionalProperties"], dict):
        return f"mapping of {_type(node['additionalProperties'])}"
    return kind


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
