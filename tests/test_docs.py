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


def test_every_form_of_the_case_format_is_documented():
    page = (REPO / "docs" / "reference" / "case-format.md").read_text()
    assert not re.search(r"Exactly one of: `[^`]+`\.", page), "a choice of one is no choice"
    for form in ("`{equals, level, spec}`", "`{exact \\| tokens \\| absent \\| present \\| regex, "
                 "ordered, level, spec}`", "## `expect.browser`", "## `preflight.variants`",
                 "## `inapplicable`", "## `table.table`", "## `step`",
                 "`{raw_body, pad_to_bytes, content_md5, content_type}`",
                 "- a bare integer (100 to 599)"):
        assert form in page, form


def test_the_specification_pages_are_generated_from_the_clause_data():
    from conformance.spec import clauses
    from conformance.spec.doc import render_all

    folder = REPO / "docs" / "spec"
    for name, text in render_all().items():
        assert (folder / name).read_text() == text, (
            f"docs/spec/{name} is stale: run python -m conformance.spec.doc")
    pages = {"OSS": (folder / "oss.md").read_text(), "S3": (folder / "s3.md").read_text()}
    for clause in clauses().values():
        assert f'<a id="{clause.id}"></a>' in pages[clause.prefix], clause.id


def test_no_package_text_points_outside_the_checkout():
    """Users get conformance/, cases/, docs/ and the README; the notes in shared/ stay behind."""
    outside = re.compile(r"oss-cors\.md|shared/reference/oss")
    reads = re.compile("/work/" "shared|\\.\\./shared")  # split: this file is under tests/
    shipped = _texts("conformance", "docs", "expectations", "cases")
    stale = [str(p.relative_to(REPO)) for p in shipped
             if outside.search(p.read_text(encoding="utf-8", errors="replace"))]
    stale += [str(p.relative_to(REPO)) for p in _texts("tests")
              if reads.search(p.read_text(encoding="utf-8", errors="replace"))]
    stale += ["README.md"] if outside.search((REPO / "README.md").read_text()) else []
    assert stale == [], "point at docs/spec/ instead: " + ", ".join(stale)


def _texts(*folders):
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in {".py", ".yaml", ".json", ".md"} and path.is_file():
                yield path
