"""Bounds of every YAML file the suite reads, the same for case, targets and expectations files.

Each test gives an input that once ended in a traceback, a hang or a line-less message
(issue 15) and pins the one-line error it now gives.
"""

import os
import re
import threading
import time
from io import StringIO
from pathlib import Path

import pytest

from conformance.cases import CaseFileErrors, load_case, parse_case
from conformance.cases._limits import LIMITS, MAX_FILE_BYTES, MAX_VALUES
from conformance.cli import main
from conformance.errors import ConformanceError, TargetError
from conformance.expectations import load_expectations
from conformance.targets_file import load_targets

README = Path(__file__).parents[2] / "README.md"
GOOD = """\
title: t
spec: [OSS-21]
cors: null
preflights:
  - name: x
    request: {origin: http://a.test, request_method: GET}
    expect: {status: 403}
"""


def errors_of(path: Path, display: str) -> list[str]:
    with pytest.raises(CaseFileErrors) as info:
        load_case(path, display=display)
    return [str(e) for e in info.value.errors]


def test_every_limit_is_documented_with_its_value():
    text = README.read_text(encoding="utf-8")
    for name, value in LIMITS.items():
        assert f"`{name}` = {value:,}" in text, name


def within(seconds: float, call):
    """Run call in a thread; fail (instead of hanging the suite) if it takes longer."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", _catch(call)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return box["r"]


def _catch(call):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - returned to the test to compare
        return exc


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_what_is_not_a_regular_file_is_refused_without_reading(tmp_path, kind):
    path = tmp_path / "x.yaml"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would block for ever
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path("/dev/zero")  # reading it never ends and grows memory
    exc = within(5, lambda: load_case(path, display="x.yaml"))
    what = {"fifo": "a FIFO", "device": "a device", "folder": "a folder"}[kind]
    assert [str(e) for e in exc.errors] == [f"x.yaml: not a regular file ({what}): refused"]


def test_a_file_over_the_size_limit_is_refused_at_the_line_where_it_passes_it(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 5))
    assert errors_of(path, "big.yaml") == [
        f"big.yaml:{MAX_FILE_BYTES // 10 + 1}: the file is longer than 1,048,576 bytes "
        "(MAX_FILE_BYTES): refused"]


def test_a_dense_flow_collection_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "dense.yaml"
    path.write_text("title: {" + "a," * 450_000 + "}\n")  # 900 KB: a million values
    started = time.perf_counter()
    assert errors_of(path, "dense.yaml") == [
        "dense.yaml:1: too many values: more than 50,000 separators (commas, brackets, braces, "
        "'- ', ': ', '? ' and line breaks) by this line, room for over 100,000 values "
        "(MAX_VALUES): refused"]
    assert time.perf_counter() - started < 1


def test_a_long_string_is_refused(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(GOOD + "    # " + "x" * 10 + "\n" + f"level: {'a' * 100_001}\n")
    assert errors_of(path, "long.yaml") == [
        "long.yaml:9: level: a value of 100,001 characters: the limit is 100,000 "
        "(MAX_SCALAR_CHARS): refused"]


def test_a_date_is_a_string_and_an_odd_number_is_one_line():
    assert parse_case(GOOD.replace("title: t", "title: 2020-01-01"), "d.yaml").title == (
        "2020-01-01")
    with pytest.raises(CaseFileErrors) as info:
        parse_case(GOOD.replace("status: 403", "status: !!float x"), "f.yaml")
    assert str(info.value) == "f.yaml:7: preflights[0].expect.status: 'x' is not a number"


TABLE = """\
title: t
spec: [OSS-21]
cors: null
preflights:
  - table:
      name: "{n}"
      rows: ROWS
      template:
        request: {origin: http://a.test, request_method: GET}
        expect: {status: 403, error_code: "TEXT"}
"""


def test_a_table_that_would_expand_past_the_value_limit_is_refused():
    rows = "[" + ", ".join(f"{{n: r{i}}}" for i in range(MAX_VALUES // 8)) + "]"
    with pytest.raises(CaseFileErrors) as info:
        parse_case(TABLE.replace("ROWS", rows).replace("TEXT", "x"), "t.yaml")
    assert str(info.value) == (
        "t.yaml:5: preflights[0].table: the tables expand to more than 100,000 values "
        "(MAX_VALUES): refused")


def test_a_filled_string_past_the_length_limit_is_refused_before_it_is_built():
    text = TABLE.replace("ROWS", f"[{{n: a, long: {'y' * 60_000}}}]").replace("TEXT", "{long}" * 2)
    with pytest.raises(CaseFileErrors) as info:
        parse_case(text, "t.yaml")
    assert str(info.value) == (
        "t.yaml:7: preflights[0].table.rows[0]: a filled value would be 120,012 characters: "
        "the limit is 100,000 (MAX_SCALAR_CHARS)")


# The same hostile inputs in targets.yaml and an expectations file: one line, file:line.
HOSTILE = {
    "recursive alias": ("x: &a [*a]\n", "1: x: lists and mappings nested deeper than 32"),
    "binary": ("x: !!binary aGVsbG8=\n", "1: x: unsupported YAML tag !!binary"),
    "integer key": ("1: x\n", "1: the key 1 is read as an integer"),
    "big integer": (f"x: {'9' * 4301}\n", "1: x: an integer of 4,301 characters"),
    "timestamp tag": ("x: !!timestamp nope\n", "1: x: unsupported YAML tag !!timestamp"),
    "control character": ("x: a\x01\n", "1: invalid YAML: control character U+0001 at column 5"),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"b{i}: &a{i} [" + ", ".join(["*a" if i == 0 else f"*a{i - 1}"] * 10) + "]\n"
        for i in range(6)), "1: a: more than 100,000 values"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_targets_and_expectations_files_give_one_line_with_file_and_line(tmp_path, name):
    text, message = HOSTILE[name]
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    for load, error in ((load_targets, TargetError), (load_expectations, ConformanceError)):
        with pytest.raises(error) as info:
            load(path)
        assert str(info.value).startswith(f"{path}:{message}"), str(info.value)
        assert "\n" not in str(info.value)


def test_not_utf8_in_targets_names_the_line(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_bytes(b"targets:\n  a:\n    endpoint: http://caf\xe9\n")
    with pytest.raises(TargetError) as info:
        load_targets(path)
    assert str(info.value) == f"{path}:3: not UTF-8: byte 0xe9 at column 25"


def test_a_misspelt_target_key_is_named_with_a_suggestion(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  oss1:\n    endpoint: http://127.0.0.1:9000\n    dialet: oss\n")
    with pytest.raises(TargetError) as info:
        load_targets(path)
    assert re.fullmatch(rf"{re.escape(str(path))}:4: targets\.oss1\.dialet: unknown key "
                        r"'dialet' \(did you mean 'dialect'\?\); allowed: .*", str(info.value))


def test_validate_reports_every_file_of_a_batch(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "loop.yaml").write_text(GOOD.replace("title: t", "title: &a [*a]"))
    (tmp_path / "typo.yaml").write_text(GOOD.replace("status: 403", "status: 403, x: 1"))
    os.mkfifo(tmp_path / "pipe.yaml")
    out, err = StringIO(), StringIO()
    argv = ["validate", str(tmp_path / "missing.yaml"), str(tmp_path), "/dev/zero"]
    status = within(20, lambda: main(argv, out, err))
    lines = err.getvalue().splitlines()
    assert status == 2 and "Traceback" not in err.getvalue()
    assert lines[0] == f"{tmp_path / 'missing.yaml'}: no such file or folder"
    assert [line.split(":")[0] for line in lines[1:4]] == [
        f"{tmp_path}/loop.yaml", f"{tmp_path}/pipe.yaml", f"{tmp_path}/typo.yaml"]
    assert lines[4] == "/dev/zero: not a regular file (a device): refused"
    assert lines[5] == "5 problem(s) in 5 file(s)"


def test_a_large_honest_expectations_file_still_loads(tmp_path):
    path = tmp_path / "big.yaml"
    entry = ("  cases/matching/request-headers.yaml::x-oss-meta-{i}, content-type and "
             "cache-control are granted by the wildcard rule[s3]:\n    reason: 'moto answers "
             "Access-Control-Allow-Headers: *, not the list: a browser, however, allows it'\n")
    path.write_text("target: moto\ndeviations:\n" + "".join(
        entry.format(i=i) for i in range(3_500)), encoding="utf-8")
    assert 800_000 < path.stat().st_size < MAX_FILE_BYTES
    assert len(load_expectations(path)) == 3_500


def headers_case(count: int) -> str:
    return GOOD.replace("expect: {status: 403}", "expect:\n      headers:\n" + "".join(
        f"        h{i}: {i}\n" for i in range(count)))


def test_at_most_fifty_problems_are_reported_for_a_file():
    with pytest.raises(CaseFileErrors) as info:
        parse_case(headers_case(60), "m.yaml")
    messages = [str(e) for e in info.value.errors]
    assert len(messages) == 51  # which 50 follows jsonschema's walk
    assert all(re.fullmatch(r"m\.yaml:\d+: preflights\[0\]\.expect\.headers\.h\d+: \d+ is not a "
                            r"string", m) for m in messages[:50])
    assert re.fullmatch(r"m\.yaml:\d+: more problems not shown: at most 50 a file "
                        r"\(MAX_ERRORS\)", messages[-1])


def test_a_huge_failing_file_gets_its_first_problem_quickly():
    started = time.perf_counter()
    with pytest.raises(CaseFileErrors) as info:
        parse_case(headers_case(20_000), "h.yaml")
    assert time.perf_counter() - started < 2
    assert [str(e) for e in info.value.errors] == [
        "h.yaml:9: preflights[0].expect.headers.h0: 0 is not valid under any of the schemas "
        "listed in the 'oneOf' keyword (over 2,000 values in the file: only the first problem "
        "is shown)"]
