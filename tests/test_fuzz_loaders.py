"""Property: any file given to a loader loads, or gives one-line errors naming file:line.

Valid case files, targets.yaml and an expectations file are mutated (wrong types, deep
nesting, alias bombs, bytes that are not UTF-8, control characters, huge scalars, odd tags,
binary, truncation) and loaded from disk. Each must give a valid load or one-line errors
`file:line: ...`, never another exception, within 2 s and 200 MB.

A few hundred examples run by default. Slow mode, for the figures of issue 15:

    CONFORMANCE_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz_loaders.py -q -s

runs that many examples per loader and prints inputs tried, tracebacks, hangs (over 2 s of
wall time), the worst CPU and wall time of one load, and the worst memory (tracemalloc peak).
"""

from __future__ import annotations

import gc
import os
import re
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.cases import CaseFileErrors, load_case
from conformance.errors import ConformanceError
from conformance.expectations import load_expectations
from conformance.targets_file import load_targets

# An example that fails is printed by hypothesis; a 300 KB one warns about its own size.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
ROOT = Path(__file__).parents[1]
EXAMPLES = int(os.environ.get("CONFORMANCE_FUZZ_EXAMPLES", "0")) or None
MAX_SECONDS, MAX_BYTES = 2.0, 200 * 1024 * 1024
SEEDS = {
    "case": [ROOT / "cases" / p for p in (
        "preflight/star-origin.yaml", "matching/request-method-table.yaml",
        "delete-bucket-cors/delete-semantics.yaml", "actual-requests/matched-origin.yaml")],
    "targets": [ROOT / "targets.sample.yaml"],
    "expectations": [ROOT / "expectations" / "moto.yaml"],
}
BOMB = "".join(f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}" if i else "x"] * 9) + "]\n"
               for i in range(9))
HOSTILE = [
    "&a [*a]", "&a {k: *a}", "*b8", "*nowhere", "!!binary aGVsbG8=", "!!timestamp nope",
    "!!bool x", "!!int x", "!!float x", "!!int ''", "!!set {a, b}", "!!omap [a: 1]", "!foo x",
    "!!python/object/apply:os.system [id]", "!!str [1]", "!!map [1]", "! x",
    "9" * 4301, "-" + "9" * 101, "1e999", ".nan", "-.inf", "0x" + "f" * 99, "1:30:00", "0o17",
    "2020-01-01", "2001-12-14t21:59:43.10-05:00", "~", "null", "yes", "on", "=", "<<",
    "[" * 40 + "]" * 40, "{a: " * 40 + "1" + "}" * 40, "[" * 1200, "- " * 50 + "x",
    "'" + "x" * 100_001 + "'", "x" * 200_000, '"' + "\\x01\\x7f\\u200b\\U0001F600" + '"',
    "{regex: '" + "(" * 500 + ")" * 500 + "'}", "{regex: '" + "(" * 30 + ")" * 30 + "'}",
    "{regex: 'a{99999999999}'}", "{regex: 'a{1001}'}", "{regex: '[[a]'}", "{regex: '(?<=a+)b'}",
    "{regex: '(a+)+$'}", "{regex: '" + "a" * 1001 + "'}", "{regex: 1}", "{regex: [a]}",
    "{tokens: 1}", "{exact: [1]}", "{exact: x, tokens: [x]}", "{}", "[]", "", "&x 1",
    "[" + "a," * 60_000 + "]", "{" + "a," * 60_000 + "}", "[1, [2, [3, {a: b}]]]", "123",
    "true", "-1", "0", "1.5", "[a, b]", "{a: 1}", "null", "{table: {name: n, rows: [], "
    "template: {}}}", "'{x}{x}{x}'", "|\n  multi\n  line", ">-\n  folded",
    # Many wrong values at once: thousands of problems must stay quick to explain.
    "{" + ", ".join(f"h{i}: {i}" for i in range(1_500)) + "}",
    "{" + ", ".join(f"h{i}: {i}" for i in range(20_000)) + "}", "[" + "1, " * 20_000 + "]",
]
HOSTILE_KEYS = ["1", "~", "on", "2020-01-01", "[a]", "{a: 1}", "? x", "!!binary aGk=", "<<",
                "'quoted'", "x" * 300, "a" + "\x00", "title", "name", "-"]
CONTROL = "\x00\x01\x08\x0b\x0c\x1b\x7f\x80\x9f\ufffe"
KV = re.compile(r"^(\s*(?:- )?)([^\s:#][^:#]*):( .*)?$")


def _lines_with_values(text: str) -> list[int]:
    return [i for i, line in enumerate(text.split("\n")) if KV.match(line)]


@st.composite
def mutation(draw: st.DrawFn, text: str) -> str:
    """One change to a file's text, chosen among the ways a file can be wrong or hostile."""
    lines = text.split("\n")
    kv = _lines_with_values(text) or [0]
    kind = draw(st.sampled_from(["value", "value", "value", "key", "bytes", "control", "cut",
                                 "bomb", "indent", "random", "scalar"]))
    if kind in ("value", "key", "bomb", "scalar"):
        i = draw(st.sampled_from(kv))
        found = KV.match(lines[i])
        lead, key = (found.group(1), found.group(2)) if found else ("", "x")
        if kind == "key":
            rest = (found and found.group(3)) or ""
            lines[i] = f"{lead}{draw(st.sampled_from(HOSTILE_KEYS))}:{rest}"
        elif kind == "bomb":
            lines[i] = f"{lead}{key}: *b{draw(st.integers(0, 8))}"
            lines.insert(0, BOMB.rstrip("\n"))
        elif kind == "scalar":
            lines[i] = f"{lead}{key}: {draw(st.text(max_size=40))}"
        else:
            lines[i] = f"{lead}{key}: {draw(st.sampled_from(HOSTILE))}"
        return "\n".join(lines)
    if kind == "indent":
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = " " * draw(st.integers(0, 9)) + lines[i].lstrip()
        return "\n".join(lines)
    if kind == "random":
        return draw(st.text(max_size=200))
    at = draw(st.integers(0, len(text)))
    if kind == "cut":
        return text[:at]
    if kind == "control":
        return text[:at] + draw(st.sampled_from(CONTROL)) + text[at:]
    return text[:at] + "\udcff" + text[at:]  # bytes: a lone surrogate becomes non-UTF-8


def hostile_file(kind: str) -> st.SearchStrategy[bytes]:
    """A seed file of `kind` with one to three mutations, as the bytes written to disk."""
    seeds = [p.read_text(encoding="utf-8") for p in SEEDS[kind]]

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        text = draw(st.sampled_from(seeds))
        for _ in range(draw(st.integers(1, 3))):
            text = draw(mutation(text))
        data = text.encode("utf-8", "surrogateescape")
        if draw(st.integers(0, 19)) == 0:  # now and then, raw binary anywhere
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        return data

    return build()


def _messages(kind: str, path: Path) -> list[str]:
    """The loader's one-line errors for the file ([] when it loads)."""
    try:
        if kind == "case":
            load_case(path, display=path.name)
        elif kind == "targets":
            load_targets(path)
        else:
            load_expectations(path)
    except CaseFileErrors as exc:
        return [str(e) for e in exc.errors]
    except ConformanceError as exc:  # TargetError, and the expectations' errors
        return [str(exc)]
    return []


STATS: dict[str, dict] = {}


@pytest.fixture(autouse=True)
def report(request: pytest.FixtureRequest):
    """In slow mode, print the figures of the loader a test fuzzed once it ends."""
    yield
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    kind = next((k for k in SEEDS if f"_{k}_" in request.node.name), None)
    s = STATS.get(kind)
    if s is not None and terminal is not None and EXAMPLES:
        terminal.write_line(
            f"fuzz {kind}: {s['tried']} inputs, {s['tracebacks']} tracebacks, {s['hangs']} "
            f"over {MAX_SECONDS:.0f} s wall, worst {s['worst_cpu']:.3f} s CPU / "
            f"{s['worst_wall']:.3f} s wall, worst memory {s['worst_bytes'] / 1e6:.1f} MB "
            f"(tracemalloc peak), {s['loaded']} loaded, largest input {s['largest']:,} bytes")


def _timed(kind: str, path: Path) -> tuple[list[str], float, float]:
    """The messages, CPU and wall seconds of one load.

    The test process holds hypothesis' data and every earlier example: frozen, the garbage
    collector does not walk it during the load, as it would not in a real run. CPU time is
    what the bound is checked on; wall time also counts the other tenants of a shared machine.
    """
    gc.freeze()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        messages = _messages(kind, path)
        return messages, time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.unfreeze()


def check(kind: str, data: bytes, tmp: Path) -> None:
    """The property, for one input: one-line errors naming file:line, in time and memory."""
    path = tmp / f"fuzzed-{kind}.yaml"
    path.write_bytes(data)
    s = STATS.setdefault(kind, {"tried": 0, "tracebacks": 0, "hangs": 0, "worst_cpu": 0.0,
                                "worst_wall": 0.0, "worst_bytes": 0, "loaded": 0, "largest": 0})
    s["tried"] += 1
    s["largest"] = max(s["largest"], len(data))
    try:
        messages, cpu, wall = _timed(kind, path)
        tracemalloc.start()
        try:
            _messages(kind, path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    except Exception:
        s["tracebacks"] += 1
        raise
    s["loaded"] += not messages
    s["hangs"] += wall > MAX_SECONDS
    s["worst_cpu"], s["worst_wall"] = max(s["worst_cpu"], cpu), max(s["worst_wall"], wall)
    s["worst_bytes"] = max(s["worst_bytes"], peak)
    where = re.compile(rf"{re.escape(str(path) if kind != 'case' else path.name)}:\d+: \S")
    for message in messages:
        assert "\n" not in message and where.match(message), message
    assert cpu < MAX_SECONDS, f"{cpu:.2f} s of CPU"
    assert wall < 5 * MAX_SECONDS, f"{wall:.2f} s"  # a hang, however busy the machine
    assert peak < MAX_BYTES, f"{peak / 1e6:.0f} MB"


def _settings(default: int) -> settings:
    return settings(max_examples=EXAMPLES or default, deadline=None, database=None,
                    derandomize=EXAMPLES is None,  # CI: the same examples every run
                    suppress_health_check=list(HealthCheck))


@_settings(150)
@given(data=hostile_file("case"))
def test_case_files_load_or_give_one_line_errors(tmp_path_factory, data):
    check("case", data, tmp_path_factory.getbasetemp())


@_settings(75)
@given(data=hostile_file("targets"))
def test_targets_files_load_or_give_one_line_errors(tmp_path_factory, data):
    check("targets", data, tmp_path_factory.getbasetemp())


@_settings(75)
@given(data=hostile_file("expectations"))
def test_expectations_files_load_or_give_one_line_errors(tmp_path_factory, data):
    check("expectations", data, tmp_path_factory.getbasetemp())
