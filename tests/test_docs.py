"""Examples in the docs are part of the product: every YAML case example must validate."""

import re
from pathlib import Path

import pytest

from conformance.cases import parse_case
from conformance.cases._validate import schema

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def yaml_examples():
    for doc in DOCS:
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(), re.S)):
            if "preflights:" in block:
                yield pytest.param(block, id=f"{doc.name}#{i}")


@pytest.mark.parametrize("block", list(yaml_examples()))
def test_doc_case_examples_validate(block):
    case = parse_case(block, "example.yaml")
    assert case.preflights


def test_the_readme_has_a_case_example():
    assert list(yaml_examples())


def test_every_schema_property_has_a_description():
    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert "description" in sub or "$ref" in sub, f"{path}.{name}"
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(schema("case"), "case")
    walk(schema("targets"), "targets")


def test_reference_pages_are_generated_from_the_schemas_and_the_cli():
    from conformance.cases.schema_doc import CLI_PAGE, PAGES, render, render_cli

    folder = REPO / "docs" / "reference"
    for name, page in PAGES.items():
        assert (folder / page).read_text() == render(name), (
            f"docs/reference/{page} is stale: run python -m conformance.cases.schema_doc")
    assert (folder / CLI_PAGE).read_text() == render_cli()


def test_every_subcommand_is_documented():
    import re

    from conformance.cases.schema_doc import _help
    from conformance.cli import COMMANDS

    listed = re.search(r"\{([a-z,]+)\}", _help([])).group(1).split(",")
    assert sorted(listed) == sorted(COMMANDS)
    for name in COMMANDS:
        assert _help([name]).startswith(f"usage: oss-conformance {name}")
