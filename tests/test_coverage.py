"""`oss-conformance coverage`, run in-process through its own parser, and the clause index."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import re
from pathlib import Path

import pytest

from conformance.cases.model import Case
from conformance.commands import coverage
from conformance.spec import clauses, level_by_evidence, parse_index
from tests.conftest import REPO

TOTALS = re.compile(r"^coverage: (?:\d+) clauses, (\d+) observable: (\d+) covered, "
                    r"(\d+) explained, (\d+) missing; (\d+) preflights in (\d+) files; "
                    r"(\d+) error\(s\), (\d+) warning\(s\)$", re.M)
S3_INDEX = {k: v for k, v in clauses().items() if v.prefix == "S3"}
S3_CITED = [c for c, v in S3_INDEX.items() if v.observable]
# The tiny case cites every observable S3 clause at file level (S3 clauses cannot be explained in
# UNCOVERED.yaml: they exist to back cases), so that only what a test leaves out is missing.
CASE = """\
title: a tiny case
spec: [OSS-21, """ + ", ".join(S3_CITED) + """]
cors:
  rules:
    - allowed_origins: [http://a.test]
      allowed_methods: [GET]
preflights:
  - name: granted
    request: {{origin: http://a.test, request_method: GET}}
    expect:
      status: 200
      headers:
        Access-Control-Allow-Origin: {matcher}
"""


def run_coverage(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    coverage.add_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = coverage.run(parser.parse_args(["coverage", *argv]), out, err)
    return code, out.getvalue(), err.getvalue()


def corpus(tmp_path: Path, matcher: str = "http://a.test", unexplained: tuple[str, ...] = (),
           extra: str = "") -> Path:
    """A one-case corpus whose UNCOVERED.yaml explains every other observable clause."""
    cases = tmp_path / "cases"
    (cases / "area").mkdir(parents=True)
    text = CASE.format(matcher=matcher)
    (cases / "area" / "tiny.yaml").write_text(text)
    cited = set(re.findall(r"(?:OSS|S3)-\d+", text))
    reasons = [f"{c.id}: reason {c.id}" for c in clauses().values()
               if c.prefix == "OSS" and c.observable and c.id not in cited | set(unexplained)]
    (cases / "UNCOVERED.yaml").write_text("\n".join(reasons) + "\n" + extra)
    return cases


def test_the_real_corpus_covers_or_explains_every_observable_clause(monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run_coverage()
    totals = TOTALS.search(out)
    assert totals, out[-500:]
    observable, covered, explained, missing, _, _, errors, _ = map(int, totals.groups())
    assert (code, missing, errors) == (0, 0, 0), err
    assert covered + explained == observable
    assert "error:" not in err
    assert "cases/preflight/options-page-sample.yaml::sample preflight from the Options page" in out


def test_every_uncovered_entry_of_the_real_corpus_is_needed(monkeypatch):
    monkeypatch.chdir(REPO)
    assert "stale" not in run_coverage()[2]


def test_a_clause_neither_cited_nor_explained_fails_and_is_named(tmp_path):
    code, out, err = run_coverage(str(corpus(tmp_path, unexplained=("OSS-17", "OSS-55"))))
    assert code == 1
    named = [line for line in err.splitlines() if "is neither cited" in line]
    assert [line.split()[1] for line in named] == ["OSS-17", "OSS-55"]
    assert named[0].startswith("missing: OSS-17 (§1, doc) is neither cited by a case nor explained")
    assert ", 2 missing; 1 preflights in 1 files;" in out
    assert "OSS-17 §1  doc→must    MISSING: no matching rule gives 403" in out


def test_a_tmp_corpus_with_everything_explained_passes(tmp_path):
    code, out, err = run_coverage(str(corpus(tmp_path)))
    assert (code, err) == (0, "")
    assert "    must             " + str(tmp_path / "cases/area/tiny.yaml") + "::granted" in out


def test_a_stale_uncovered_entry_is_a_warning(tmp_path):
    cases = corpus(tmp_path, extra="OSS-21: no case yet\n")
    code, _, err = run_coverage(str(cases))
    line = len((cases / "UNCOVERED.yaml").read_text().splitlines())
    assert code == 0
    assert err.strip() == (f"{cases / 'UNCOVERED.yaml'}:{line}: warning: OSS-21 is cited by 1 "
                           f"preflight(s) (first: {cases / 'area/tiny.yaml'}::granted); remove "
                           "its stale entry")


def test_an_entry_for_a_clause_that_is_not_observable_is_a_warning(tmp_path):
    code, _, err = run_coverage(str(corpus(tmp_path, extra="OSS-80: SDK usage\n")))
    assert code == 0
    assert "warning: OSS-80 needs no entry (not observable: SDK usage)" in err


def test_an_unknown_clause_cited_by_a_case_is_an_error(tmp_path):
    cases = corpus(tmp_path, matcher="{exact: http://a.test, spec: [OSS-21, OSS-94]}")
    code, out, err = run_coverage(str(cases))
    assert code == 2
    assert err.strip() == (f"{cases / 'area/tiny.yaml'}:13: error: OSS-94 is not a clause of the "
                           "reference (OSS-1 … OSS-93): see docs/spec/oss.md")
    assert "; 1 error(s), 0 warning(s)" in out


def test_must_citing_only_an_uncertain_clause_is_a_level_warning(tmp_path):
    code, _, err = run_coverage(str(corpus(tmp_path, matcher="{exact: http://a.test, spec: "
                                                             "[OSS-23]}")))
    assert code == 0
    assert err.strip() == (
        f"{tmp_path / 'cases/area/tiny.yaml'}:8: warning: 'granted': "
        "header:Access-Control-Allow-Origin is asserted at must, but it cites only "
        "OSS-23 [unc], which supports at most may")


@pytest.mark.parametrize("matcher", [
    "{exact: http://a.test, level: may, spec: [OSS-23]}",       # level follows the evidence
    "{exact: http://a.test, spec: [OSS-23, OSS-21]}",           # one [doc] clause backs must
    "{exact: http://a.test, spec: [OSS-23, 'oss:Options']}",    # so does a document anchor
])
def test_levels_the_evidence_supports_are_not_warned_about(tmp_path, matcher):
    assert run_coverage(str(corpus(tmp_path, matcher=matcher)))[2] == ""


@pytest.mark.parametrize(("entry", "message"), [
    ("OSS-17: [not, a, string]", "OSS-17: ['not', 'a', 'string'] is not a string"),
    ("OSS-17: ''", "OSS-17: must not be empty"),
    ("OSS-x: typo", "'OSS-x' is not a clause id such as OSS-38"),
    ("OSS-94: no such clause", "OSS-94 is not a clause of the reference (OSS-1 … OSS-93): "
                               "see docs/spec/oss.md"),
])
def test_a_bad_uncovered_entry_is_a_one_line_error_with_its_line(tmp_path, entry, message):
    cases = corpus(tmp_path, unexplained=("OSS-17",), extra=entry + "\n")
    code, _, err = run_coverage(str(cases))
    line = len((cases / "UNCOVERED.yaml").read_text().splitlines())
    assert code == 2
    assert f"{cases / 'UNCOVERED.yaml'}:{line}: error: {message}" in err.splitlines()


def test_uncovered_yaml_that_is_not_a_mapping_is_an_error(tmp_path):
    cases = corpus(tmp_path)
    (cases / "UNCOVERED.yaml").write_text("- OSS-17\n")
    code, _, err = run_coverage(str(cases))
    assert code == 2
    assert f"{cases / 'UNCOVERED.yaml'}:1: error: ['OSS-17'] is not a mapping" in err


def test_a_broken_case_file_and_a_missing_path_exit_2(tmp_path):
    cases = corpus(tmp_path)
    (cases / "area" / "broken.yaml").write_text("title: [\n")
    code, _, err = run_coverage(str(cases))
    assert code == 2 and "broken.yaml:2: error: invalid YAML" in err
    code, _, err = run_coverage(str(tmp_path / "nowhere"))
    assert code == 2 and err.strip().endswith("nowhere: no such file or folder")


def test_an_explicit_uncovered_file_is_used_and_must_exist(tmp_path):
    cases = corpus(tmp_path)
    moved = tmp_path / "elsewhere.yaml"
    (cases / "UNCOVERED.yaml").rename(moved)
    assert run_coverage(str(cases))[0] == 1  # no UNCOVERED.yaml beside the cases
    assert run_coverage(str(cases), "--uncovered", str(moved))[0] == 0
    code, _, err = run_coverage(str(cases), "--uncovered", str(tmp_path / "none.yaml"))
    assert code == 2 and "none.yaml: error: cannot read" in err


def test_json_has_the_same_totals_and_every_clause(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run_coverage("--json")
    data = json.loads(out)
    assert (code, err, data["exit_status"]) == (0, "", 0)
    assert [c["id"] for c in data["clauses"]] == [f"OSS-{n}" for n in range(1, 94)] + [
        f"S3-{n}" for n in range(1, len(S3_INDEX) + 1)]
    assert data["totals"]["missing"] == 0 and data["uncovered_file"] == "cases/UNCOVERED.yaml"
    text_totals = TOTALS.search(run_coverage()[1])
    assert text_totals and int(text_totals[2]) == data["totals"]["covered"]
    by_id = {c["id"]: c for c in data["clauses"]}
    assert all(bool(c["reason"]) == (c["status"] == "explained") for c in data["clauses"])
    assert by_id["OSS-80"]["status"] == "not-observable"
    cite = by_id["OSS-21"]["citations"][0]
    assert cite["node"] == f"{cite['file']}::{cite['preflight']}" and cite["levels"]


def test_json_lists_findings(tmp_path):
    code, out, _ = run_coverage(str(corpus(tmp_path, unexplained=("OSS-17",))), "--json")
    data = json.loads(out)
    assert code == data["exit_status"] == 1
    assert [(f["kind"], f["clause"]) for f in data["findings"]] == [("missing", "OSS-17")]


def test_the_clause_index_has_every_clause_once_in_order():
    index = {k: v for k, v in clauses().items() if v.prefix == "OSS"}
    assert list(index) == [f"OSS-{n}" for n in range(1, 94)]
    assert level_by_evidence() == {"doc": "must", "obs": "should", "unc": "may"}
    assert all(c.level == level_by_evidence()[c.evidence] and c.summary for c in index.values())
    assert {c.id for c in index.values() if c.section == "6"} == {
        f"OSS-{n}" for n in range(74, 85)}
    assert not any(index[f"OSS-{n}"].observable for n in range(74, 85))
    assert all(c.note for c in index.values() if not c.observable)


# The sections of the OSS reference as it numbered them (5b was added after §6, numbered on), kept
# here so that the test needs nothing outside the repository.
SECTION_RANGES = {"0": (1, 4), "1": (5, 37), "2": (38, 55), "3": (56, 63), "4": (64, 67),
                  "5": (68, 73), "6": (74, 84), "5b": (85, 93)}


def test_the_clause_index_matches_the_reference_sections():
    from conformance.spec.doc import SECTIONS

    expected = {f"OSS-{n}": section for section, (first, last) in SECTION_RANGES.items()
                for n in range(first, last + 1)}
    assert expected == {c.id: c.section for c in clauses().values() if c.prefix == "OSS"}
    assert {c.section for c in S3_INDEX.values()} <= set(SECTIONS["S3"])
    assert set(SECTION_RANGES) == set(SECTIONS["OSS"])


def test_a_malformed_index_is_refused():
    with pytest.raises(ValueError, match="evidence must be one of doc, obs, unc"):
        parse_index("levels: {doc: must, obs: should, unc: may}\nclauses:\n"
                    "  - {id: OSS-1, section: '0', evidence: strong, observable: true, "
                    "summary: s}\n")


def test_coverage_reads_every_kind_of_item_a_case_has():
    # A tripwire: coverage reads citations from Case.preflights (sequence steps are Preflight
    # items too). If the model gains another collection of items, count its citations as well,
    # or coverage silently under-reports; then add the field here.
    collections = {f.name for f in dataclasses.fields(Case) if str(f.type).startswith("tuple[")}
    assert collections == {"spec", "dialects", "preflights", "inapplicable"}


# --- the S3 evidence index and what coverage checks of S3 expectations ------------------------

S3_CASE = """\
title: a tiny case with an S3 variant
spec: [OSS-21, """ + ", ".join(S3_CITED) + """]
cors:
  rules:
    - allowed_origins: [http://a.test]
      allowed_methods: [GET]
preflights:
  - name: granted
    request: {{origin: http://a.test, request_method: GET}}
    expect:
      status: 200
      headers:
        Access-Control-Allow-Origin: http://a.test
    variants:
      s3:
        headers:
          {header}: {matcher}
"""


def s3_corpus(tmp_path: Path, header: str, matcher: str) -> Path:
    """The tiny corpus whose one preflight has an S3 variant setting `header` to `matcher`."""
    cases = tmp_path / "cases"
    if not cases.is_dir():
        corpus(tmp_path)
    (cases / "area" / "tiny.yaml").write_text(S3_CASE.format(header=header, matcher=matcher))
    return cases


def test_the_s3_index_is_numbered_and_every_clause_names_its_source():
    assert list(S3_INDEX) == [f"S3-{n}" for n in range(1, len(S3_INDEX) + 1)]
    assert len(S3_INDEX) >= 40
    for clause in S3_INDEX.values():
        assert clause.source and clause.summary and clause.section
        assert clause.level == level_by_evidence()[clause.evidence]
        # [doc] cites an AWS page; [obs] a LocalStack snapshot key recorded against AWS
        if clause.evidence == "doc":
            assert "https://docs.aws.amazon.com/" in clause.source, clause.id
        if clause.evidence == "obs":
            assert clause.source.startswith("LS test_"), clause.id


def test_an_s3_index_entry_without_its_source_is_refused():
    with pytest.raises(ValueError, match="needs exactly evidence, id, observable, section, source"):
        parse_index("levels: {doc: must, obs: should, unc: may}\nclauses:\n"
                    "  - {id: S3-1, section: options, evidence: doc, observable: true, "
                    "summary: s}\n", "S3")
    with pytest.raises(ValueError, match="'OSS-1' is not a new clause id such as S3-21"):
        parse_index("levels: {doc: must, obs: should, unc: may}\nclauses:\n"
                    "  - {id: OSS-1, section: options, evidence: doc, observable: true, "
                    "summary: s, source: x}\n", "S3")


def test_an_s3_variant_within_its_evidence_passes(tmp_path):
    for matcher in ('{exact: "true", level: should, spec: [S3-13]}',      # [obs] backs should
                    '{exact: "true", spec: [S3-13, fetch:cors-check]}',  # a document anchor
                    "{absent: true, level: may, spec: [S3-10]}"):         # [unc] backs may
        code, _, err = run_coverage(str(s3_corpus(
            tmp_path, "Access-Control-Allow-Credentials", matcher)))
        assert (code, err) == (0, ""), matcher


def test_an_s3_variant_stronger_than_its_s3_evidence_is_an_error(tmp_path):
    cases = s3_corpus(tmp_path, "Access-Control-Allow-Credentials",
                      '{exact: "true", spec: [S3-13]}')
    code, out, err = run_coverage(str(cases))
    assert code == 2
    assert err.strip() == (
        f"{cases / 'area/tiny.yaml'}:8: error: 'granted': header:Access-Control-Allow-Credentials "
        "is asserted at must, but it cites only S3-13 [obs], which supports at most should")
    assert "; 1 error(s), 0 warning(s)" in out


def test_an_oss_clause_never_backs_an_s3_level(tmp_path):
    # The bug this guards against: an S3 `Vary absent` at must backed only by OSS-only clauses.
    code, _, err = run_coverage(str(s3_corpus(tmp_path, "Vary",
                                              "{absent: true, spec: [OSS-50, S3-10]}")))
    assert code == 2 and "cites only S3-10 [unc], which supports at most may" in err
    code, _, err = run_coverage(str(s3_corpus(tmp_path, "Vary",
                                              "{absent: true, spec: [OSS-50, OSS-55]}")))
    assert code == 2
    assert ("header:Vary is set by the S3 variant but cites no S3 evidence (OSS-50, OSS-55); "
            "cite an S3-<n> clause or an s3: page") in err


def test_an_unknown_s3_clause_is_an_error(tmp_path):
    cases = s3_corpus(tmp_path, "Vary", "{absent: true, level: may, spec: [S3-999]}")
    code, _, err = run_coverage(str(cases))
    last = list(S3_INDEX)[-1]
    assert code == 2
    assert f"error: S3-999 is not a clause of the S3 evidence index (S3-1 … {last})" in err


def test_an_s3_clause_no_case_cites_is_missing(tmp_path):
    cases = corpus(tmp_path)
    text = (cases / "area" / "tiny.yaml").read_text().replace(", S3-13,", ",")
    (cases / "area" / "tiny.yaml").write_text(text)
    code, _, err = run_coverage(str(cases))
    assert code == 1
    assert err.strip().startswith("missing: S3-13 (§options, obs) is cited by no case")


def test_the_real_corpus_runs_nine_in_ten_oss_items_in_s3_too():
    from conformance.cases import load_case

    runs = {"oss": 0, "s3": 0}
    for path in sorted((REPO / "cases").rglob("*.yaml")):
        if path.name == "UNCOVERED.yaml":
            continue
        case = load_case(path)
        for pf in case.preflights:
            skip = {**dict(case.inapplicable), **dict(pf.inapplicable)}
            for dialect in runs:
                runs[dialect] += dialect not in skip
    assert runs["s3"] >= 0.9 * runs["oss"], runs


def test_part_of_a_corpus_lists_uncited_clauses_without_failing():
    """`coverage cases/preflight`: no error lines, and the totals agree with what was printed."""
    code, out, err = run_coverage(str(REPO / "cases" / "preflight"))
    assert code == 0, err
    assert "error:" not in err and "missing:" not in err
    assert "coverage of part of a corpus" in err
    assert re.search(r" \d+ missing; .* 0 error\(s\)", out)
