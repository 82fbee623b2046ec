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
