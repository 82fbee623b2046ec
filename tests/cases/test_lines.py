import gc

import pytest

from conformance.cases import CaseFileErrors, parse_case
from conformance.cases._yaml import line_of, load_with_lines

TEXT = """\
a:
  b: [1, {c: 2}]
  "200": ok
x: &A {k: 1}
y:
  - *A
  - z: ~
"""


def test_lines_are_looked_up_without_recording_every_path():
    data, lines = load_with_lines(TEXT, "f.yaml")
    assert data["y"][0] == {"k": 1}
    assert lines.get(("a", "b", 1, "c")) == 2
    assert lines.get(("a", "200")) == 3
    assert lines.get(("y", 0, "k")) == 4  # an alias has the line of its anchor
    assert lines.get(("y", 1, "z")) == 7
    assert lines.get(("a", "nope")) is None and ("a", "nope") not in lines
    assert line_of(("a", "b", 1, "c", "deeper"), lines) == 2


def test_listing_or_changing_lines_records_every_path():
    _, lines = load_with_lines(TEXT, "f.yaml")
    every = dict(lines)
    assert every[()] == 1 and every[("a", "b", 0)] == 2 and every[("y", 1)] == 7
    lines[("a", "new")] = 9
    assert lines.get(("a", "new")) == 9 and lines.get(("x", "k")) == 4


def test_a_nested_duplicate_key_names_its_path():
    with pytest.raises(CaseFileErrors) as info:
        parse_case("title: t\ncors:\n  rules:\n  - {a: 1, a: 2}\n", "d.yaml")
    assert [str(e) for e in info.value.errors] == ["d.yaml:4: cors.rules[0]: duplicate key 'a'"]


def test_collection_leaves_nothing_frozen(pytester, case_dir):
    result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == 0
    assert gc.get_freeze_count() == 0
