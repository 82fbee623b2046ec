"""`oss-conformance matrix`: the page from synthetic results docs, bad inputs, and a real run."""

from __future__ import annotations

import argparse
import io
import json
import re
from html.parser import HTMLParser

import pytest

from conformance.cli import ExitStatus, main
from conformance.commands.matrix import add_parser, run
from conformance.report import _matrix_html
from conformance.report.matrix import build_matrix
from tests.conftest import REPO

HOSTILE = "<script>alert(1)</script>"
VOID = {"meta", "br", "rect", "img", "hr", "input", "link"}


class Page(HTMLParser):
    """What a browser would find: ids, links, matrix cells, chart labels; tag balance."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.cells: dict[str, list[tuple[str, str, str | None]]] = {}  # row id -> cells
        self.svg_text: list[str] = []
        self.pre: list[str] = []
        self.details: dict[str, str] = {}  # id -> text of the <details>
        self.problems: list[str] = []
        self._stack: list[tuple[str, dict]] = []
        self._row: str | None = None
        self._cell: list | None = None
        self._text: list[tuple[str, list[str]]] = []  # open capture targets
        self.feed(text)
        self.close()
        assert not self._stack, f"unclosed: {[t for t, _ in self._stack]}"

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if tag in VOID:
            return
        self._stack.append((tag, a))
        if tag == "tr" and a.get("id", "").startswith("r-"):
            self._row = a["id"]
            self.cells[self._row] = []
        if tag == "td" and self._row:
            self._cell = [a.get("class", ""), [], None]
        if tag == "a" and self._cell is not None:
            self._cell[2] = a["href"]
        if tag in ("text", "pre", "details"):
            self._text.append((tag, []))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self._stack or self._stack[-1][0] != tag:
            self.problems.append(f"</{tag}> closes {self._stack[-1:]}")
            return
        _, attrs = self._stack.pop()
        if tag == "td" and self._cell is not None:
            cls, text, href = self._cell
            self.cells[self._row].append((cls, "".join(text).strip(), href))
            self._cell = None
        if tag == "tr":
            self._row = None
        if tag in ("text", "pre", "details"):
            kind, parts = self._text.pop()
            text = "".join(parts)
            {"text": self.svg_text, "pre": self.pre}.get(kind, []).append(text)
            if kind == "details":
                self.details[attrs["id"]] = text
            for _, outer in self._text:  # a <pre> inside <details> counts for both
                outer.append(text)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1].append(data)
        if self._text:
            self._text[-1][1].append(data)


def exchange(extra_header: tuple[str, str] | None = None, status: int = 200) -> dict:
    headers = [["Access-Control-Allow-Origin", "http://www.example.com"]]
    if extra_header:
        headers.append(list(extra_header))
    return {"request": {"method": "OPTIONS", "url": "http://t/b/o", "target": "/b/o",
                        "headers": [["Origin", "http://www.example.com"],
                                    ["Access-Control-Request-Method", "PUT"]],
                        "raw": False, "body": ""},
            "response": {"status": status, "reason": "OK", "headers": headers, "body": "",
                         "body_truncated": False},
            "error": None, "elapsed_ms": 1.0}


def rec(nodeid: str, outcome: str = "passed", classification: str = "pass", **extra) -> dict:
    case = nodeid.split("::")[0]
    data = {"nodeid": nodeid, "case": case, "title": f"Title of {case}",
            "preflight": nodeid.split("::")[1].rsplit("[", 1)[0],
            "dialect": nodeid.rsplit("[", 1)[1].rstrip("]"), "outcome": outcome,
            "classification": classification, "impact": None, "known_deviation": None,
            "error": None, "provisioning": None,
            "browser": {"expected": "allowed", "computed": "allowed", "reason": "origin matches"},
            "checks": [{"subject": "status", "expected": "200", "actual": "200", "ok": True,
                        "level": "must", "spec": ["OSS-20"]}],
            "exchange": exchange()}
    data.update(extra)
    return data


def doc(name: str | None, items: list[dict], digest: str = "abc") -> dict:
    target = {"dialect": "oss", "endpoint": "http://127.0.0.1:1"}
    if name is not None:
        target["name"] = name
    return {"schema_version": 1, "suite_version": "0.1.0", "generated_at": "2026-01-01T00:00:00",
            "case_set_digest": digest, "target": target, "summary": {"total": len(items)},
            "items": items}


A1 = "cases/preflight/exact.yaml::exact origin"
A2 = "cases/preflight/exact.yaml::other origin"
A3 = "cases/preflight/star.yaml::star origin"
B1 = "cases/vary/vary.yaml::vary sent"
FAIL = {"subject": "header:Access-Control-Allow-Origin", "expected": "http://www.example.com",
        "actual": HOSTILE, "ok": False, "level": "must", "spec": ["OSS-21"]}


def three_docs() -> list[dict]:
    first = doc("oss-prod", [
        rec(A1 + "[oss]"),
        rec(A2 + "[oss]", "warned"),
        rec(A3 + "[oss]", "failed", "new deviation", impact="browser-visible",
            checks=[FAIL], exchange=exchange(("X-Evil", HOSTILE))),
        rec(B1 + "[oss]", "failed", "new deviation", error="connection refused",
            exchange={**exchange(), "response": None, "error": "connection refused"}),
    ])
    second = doc("oss-prod", [  # same name, other dialect suffix: same rows
        rec(A1 + "[s3]", "xfailed", "known deviation", known_deviation="sends * " + HOSTILE,
            checks=[FAIL], impact="wire-only"),
        rec(A2 + "[s3]", "xpassed", "unexpected pass"),
        rec(A3 + "[s3]"),
        rec(B1 + "[s3]"),
    ])
    third = doc(None, [rec(A1 + "[oss]"), rec(A3 + "[oss]", "skipped")], digest="other")
    return [first, second, third]


@pytest.fixture(scope="module")
def page() -> str:
    return build_matrix(three_docs())


def row_of(parsed: Page, key_text: str, text: str) -> list[tuple[str, str, str | None]]:
    rid = re.search(r'<tr id="(r-\d+)"><th scope="row"><a href="#i-\d+"><code>'
                    + re.escape(key_text) + "</code>", text).group(1)
    return parsed.cells[rid]


def test_each_cell_has_the_status_colour_class_and_a_text_label(page):
    parsed = Page(page)
    assert [(c, t) for c, t, _ in row_of(parsed, A1, page)] == [
        ("c s-pass", "pass"), ("c s-known", "known deviationwire-only"), ("c s-pass", "pass")]
    assert [(c, t) for c, t, _ in row_of(parsed, A2, page)] == [
        ("c s-warned", "warned"), ("c s-unexpected", "unexpected pass"),
        ("c s-notrun", "not run")]
    assert [(c, t) for c, t, _ in row_of(parsed, A3, page)] == [
        ("c s-new", "new deviationbrowser-visible"), ("c s-pass", "pass"),
        ("c s-notrun", "not run")]  # skipped counts as not run
    assert [t for _, t, _ in row_of(parsed, B1, page)] == ["error", "pass", "not run"]
    assert len(parsed.cells) == 4  # [oss] and [s3] of one preflight share a row


def test_rows_are_grouped_by_area_with_title_and_preflight(page):
    areas = re.findall(r'<tr class="area" id="(a-\d+)"><th colspan="4">([^<]*)</th>', page)
    assert areas == [("a-0", "preflight (3 item(s))"), ("a-1", "vary (1 item(s))")]
    assert page.index(A3) < page.index(B1)
    assert "Title of cases/preflight/exact.yaml — other origin" in page


def test_every_link_resolves_and_shows_that_targets_exchange(page):
    parsed = Page(page)
    assert not parsed.problems
    assert all(h.startswith("#") for h in parsed.hrefs)  # nothing leaves the page
    assert {h[1:] for h in parsed.hrefs} <= parsed.ids
    for cells in parsed.cells.values():
        for cls, _, href in cells:
            assert (href is None) == cls.endswith("s-notrun")
    failing = parsed.details[row_of(parsed, A3, page)[0][2][1:]]
    assert failing.startswith("new deviation oss-prod oss")
    assert "FAIL" in failing and "Access-Control-Allow-Origin" in failing
    assert f"X-Evil: {HOSTILE}" in failing  # the transcript, as text after unescaping
    assert "impact browser-visible" in failing
    error = parsed.details[row_of(parsed, B1, page)[0][2][1:]]
    assert "no HTTP answer: connection refused" in error
    known = parsed.details[row_of(parsed, A1, page)[1][2][1:]]
    assert "known deviation: sends * " + HOSTILE in known


def heads(page: str) -> list[str]:
    return re.findall(r'<th scope="col">([^<]*)</th>', page)


def test_duplicate_or_missing_target_names_get_distinct_column_labels(page):
    # the third target has no name: dialect@host, never a URL with an ephemeral port
    assert heads(page) == ["item", "oss-prod", "oss-prod #2", "oss@127.0.0.1"]
    assert "different case sets" in page


def test_a_name_that_is_the_endpoint_url_becomes_dialect_at_host():
    docs = three_docs()
    for d in docs:  # what `run --endpoint URL` without --target records as the name
        d["target"]["name"] = d["target"]["endpoint"] = "http://127.0.0.1:41789"
    docs[2]["target"].pop("endpoint")
    assert heads(build_matrix(docs)) == ["item", "oss@127.0.0.1", "oss@127.0.0.1 #2",
                                         "target 3"]


def test_labels_override_column_names_in_order(tmp_path):
    paths = []
    for i, d in enumerate(three_docs()):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(d))
    out = tmp_path / "m.html"
    code, said, err = run_matrix(*map(str, paths), "--out", str(out), "--label", "aliyun",
                                 "--label", HOSTILE + "\x1b")
    assert (code, err) == (ExitStatus.OK, "")
    page = out.read_text()
    assert heads(page) == ["item", "aliyun", "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b",
                           "oss@127.0.0.1"]
    assert said.startswith(f"matrix: {out} (aliyun ")
    code, said, err = run_matrix(str(paths[0]), "--out", str(out), "--label", "a",
                                 "--label", "b")
    assert code == ExitStatus.USAGE_OR_CASE_ERROR and said == ""
    assert err == "oss-conformance matrix: --label given 2 times for 1 results file(s)\n"


def test_every_target_string_is_escaped(page):
    docs = three_docs()
    docs[0]["target"]["name"] = HOSTILE + "\x1b[31m"
    docs[1]["items"][2]["title"] = HOSTILE
    docs[1]["items"][2]["exchange"]["response"]["reason"] = "OK\ud800"  # lone surrogate
    hostile = build_matrix(docs)
    assert "<script" not in hostile.lower() and "<script" not in page.lower()
    assert "&lt;script&gt;" in hostile and "\x1b" not in hostile and "\\x1b[31m" in hostile
    hostile.encode("utf-8")  # would raise on a lone surrogate
    assert not Page(hostile).problems


def test_a_huge_transcript_is_cut_at_8_kb_with_a_marker():
    big = rec(A1 + "[oss]", exchange=exchange(("X-Big", "<" * 100_000)))
    parsed = Page(build_matrix([doc("t", [big])]))
    (pre,) = parsed.pre
    assert pre.endswith("<< cut at 8192 bytes >>")
    raw = re.search(r"<pre>(.*?)</pre>", build_matrix([doc("t", [big])]), re.S).group(1)
    assert len(raw.encode()) <= _matrix_html.TRANSCRIPT_LIMIT + 40
    assert re.search(r"&(?![a-z]+;)", raw) is None  # no entity cut in half


def test_the_area_chart_has_one_labelled_bar_per_target_and_area(page):
    parsed = Page(page)
    assert parsed.svg_text == [
        "preflight", "oss-prod", "2/3 (66%)", "oss-prod #2", "1/3 (33%)", "oss@127.0.0.1",
        "1/1 (100%)", "vary", "oss-prod", "0/1 (0%)", "oss-prod #2", "1/1 (100%)",
        "oss@127.0.0.1", "not run"]
    widths = re.findall(r'<rect x="190" y="\d+" width="(\d+)" height="13" fill="#(?!eaeef2)',
                        page)
    assert widths == ["253", "126", "380", "0", "380", "0"]


def test_the_same_inputs_give_the_same_bytes(page):
    assert build_matrix(three_docs()) == page


def test_ten_thousand_items_stay_within_the_detail_budget():
    def items(pad: int) -> list[dict]:
        return [rec(f"cases/a{i % 9}/f{i}.yaml::p{i}[oss]", exchange=exchange(("X-Pad", "p" * pad)),
                    **({"outcome": "failed", "classification": "new deviation", "checks": [FAIL]}
                       if i % 50 == 0 else {})) for i in range(10_000)]

    text = build_matrix([doc("a", items(0)), doc("b", items(1500))])
    assert len(text.encode()) < 20 * 1024 * 1024
    # Regexes, not Page: parsing 15 MB in Python would dominate the suite's time.
    assert set(re.findall(r' href="#([^"]+)"', text)) <= set(re.findall(r' id="([^"]+)"', text))
    assert "left out (page budget)" in text
    new = re.findall(r'<details id="x-\d+-\d+" open><summary><span class="tag s-new">.*?</details>',
                     text, re.S)
    assert len(new) == 400 and all("HTTP/1.1 200 OK" in d for d in new)  # problems first


def run_matrix(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = run(parser.parse_args(["matrix", *argv]), out, err)
    return code, out.getvalue(), err.getvalue()


def test_the_subcommand_defaults_to_reports_matrix_html():
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["matrix", "a.json", "b.json"])
    assert args.results == ["a.json", "b.json"] and args.out == "reports/matrix.html"


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read {p}: No such file or directory"),
    ("{not json", "{p}: not a results.json (invalid JSON at line 1 column 2: Expecting "
                  "property name enclosed in double quotes)"),
    ("[1, 2]", "{p}: not a results.json (no schema_version)"),
    ('{"schema_version": 9, "items": []}',
     "{p}: results.json schema_version '9' is not supported (expected 1)"),
    ('{"schema_version": 1, "items": [{"title": "x"}]}',
     "{p}: not a results.json (items must be a list of records with a nodeid)"),
])
def test_a_bad_input_is_one_line_and_exit_2(tmp_path, content, message):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(doc("t", [rec(A1 + "[oss]")])))
    if content is not None:
        bad.write_text(content)
    code, out, err = run_matrix(str(good), str(bad), "--out", str(tmp_path / "m.html"))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR and out == ""
    assert err == f"oss-conformance matrix: {message.format(p=bad)}\n"
    assert not (tmp_path / "m.html").exists()


def test_an_unwritable_out_path_is_one_line_and_exit_2(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc("t", [rec(A1 + "[oss]")])))
    (tmp_path / "file").write_text("")
    code, _, err = run_matrix(str(good), "--out", str(tmp_path / "file" / "m.html"))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR
    assert err.startswith("oss-conformance matrix: cannot write ") and err.count("\n") == 1


def test_end_to_end_two_real_runs_of_the_reference(tmp_path):
    cases = str(REPO / "cases" / "preflight")
    for name, extra in (("a", []), ("b", ["--latency-ms", "0"])):
        out, err = io.StringIO(), io.StringIO()
        code = main(["run", cases, "-q", "--reports", str(tmp_path / name), *extra],
                    stdout=out, stderr=err)
        assert code == ExitStatus.OK, out.getvalue() + err.getvalue()
    total = len(json.loads((tmp_path / "a" / "results.json").read_text())["items"])
    dest = tmp_path / "out" / "matrix.html"
    code, out, err = run_matrix(str(tmp_path / "a" / "results.json"),
                                str(tmp_path / "b" / "results.json"), "--out", str(dest))
    assert (code, err) == (ExitStatus.OK, "")
    assert out == f"matrix: {dest} (reference {total}/{total} pass, " \
                  f"reference #2 {total}/{total} pass)\n"
    text = dest.read_text(encoding="utf-8")
    parsed = Page(text)
    assert not parsed.problems and {h[1:] for h in parsed.hrefs} <= parsed.ids
    assert len(parsed.cells) == total
    assert {cell[:2] for cells in parsed.cells.values() for cell in cells} == {
        ("c s-pass", "pass")}
    assert parsed.svg_text == ["preflight", "reference", f"{total}/{total} (100%)",
                               "reference #2", f"{total}/{total} (100%)"]
    assert all(re.match(r"cases/preflight/[\w-]+\.yaml::[^\[]+$", k)
               for k in re.findall(r'<a href="#i-\d+"><code>([^<]*)</code>', text))
    assert sum("OPTIONS /osscors-" in p for p in parsed.pre) >= total
