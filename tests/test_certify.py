"""certify and verify end to end: the embedded references, s3rver, and tampered bundles.

Each bundle is made once per module (a corpus run on the reference takes ~3 s, on s3rver ~7 s);
tests that tamper work on copies.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conformance import __version__
from conformance.cli import ExitStatus, main
from conformance.commands import _bundle
from conformance.expectations import load_expectations, write_expectations
from conformance.profiles import load_profile
from tests.conftest import CANARY_KEY, CANARY_SECRET
from tests.targets import servers

REPO = Path(__file__).resolve().parent.parent
FILES = {"report.html", "results.json", "junit.xml", "certificate.json", "certificate.html",
         "badge.svg"}


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def sha(path: Path) -> str:
    return _bundle.sha256(path.read_bytes())


@pytest.fixture(scope="module")
def oss_bundle(tmp_path_factory):
    """certify --profile oss-strict on the embedded OSS reference, with canary credentials."""
    folder = tmp_path_factory.mktemp("oss") / "bundle"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OSS_ACCESS_KEY_ID", CANARY_KEY)
        mp.setenv("OSS_ACCESS_KEY_SECRET", CANARY_SECRET)
        code, out, err = run_cli("certify", "--profile", "oss-strict", "--out", folder, "-q")
    assert code == ExitStatus.OK, out + err
    return folder, out


@pytest.fixture(scope="module")
def s3rver_bundles(tmp_path_factory):
    """s3rver under s3-strict: without expectations, then with its known deviations.

    The expectations are the shipped expectations/s3rver.yaml brought up to date with this
    corpus the way `run --update-expectations` does it (reasons already written are kept).
    """
    base = tmp_path_factory.mktemp("s3rver")
    with servers.s3rver() as srv, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", srv.credentials.access_key_id)
        mp.setenv("AWS_SECRET_ACCESS_KEY", srv.credentials.secret)
        target = ["--endpoint", srv.endpoint, "--region", srv.region, "-q"]
        plain = run_cli("certify", "--profile", "s3-strict", "--out", base / "plain", *target)
        items = json.loads((base / "plain" / "results.json").read_text())["items"]
        shipped = load_expectations(REPO / "expectations" / "s3rver.yaml")
        write_expectations(base / "s3rver.yaml", "s3rver", items, shipped)
        excused = run_cli("certify", "--profile", "s3-strict", "--out", base / "excused",
                          "--expectations", base / "s3rver.yaml", *target)
    return {"plain": (base / "plain", *plain), "excused": (base / "excused", *excused),
            "shipped": shipped}


def copy(folder: Path, tmp_path: Path) -> Path:
    dest = tmp_path / folder.name
    shutil.copytree(folder, dest)
    return dest


def test_the_oss_reference_is_certified_under_oss_strict(oss_bundle):
    folder, out = oss_bundle
    assert "certificate: certified under profile oss-strict" in out
    assert {p.name for p in folder.iterdir()} == FILES
    cert = json.loads((folder / "certificate.json").read_text())
    results = json.loads((folder / "results.json").read_text())
    assert cert["verdict"] == "certified" and cert["reasons"] == []
    assert cert["suite"] == {"name": "oss-cors-conformance", "version": __version__}
    assert cert["case_set_digest"] == results["case_set_digest"]
    assert cert["profile"]["name"] == "oss-strict"
    assert cert["profile"]["sha256"] == load_profile("oss-strict").digest
    assert cert["target"]["name"] == "reference" and cert["target"]["dialect"] == "oss"
    assert cert["items"]["counted"] == cert["items"]["passed"] > 300
    assert cert["levels"]["must"]["failed"] == 0 and cert["levels"]["must"]["passed"] > 0
    assert cert["classifications"] == {"pass": cert["items"]["counted"]}
    assert cert["date"].endswith("+00:00") and cert["excused_deviations"] == []
    assert cert["files"] == {name: sha(folder / name) for name in FILES - {"certificate.json"}}


def test_the_bundle_is_zipped_and_holds_no_secret(oss_bundle):
    folder, _ = oss_bundle
    archive = folder.parent / "bundle.zip"
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == sorted(f"bundle/{n}" for n in FILES)
        blobs = [zf.read(n) for n in zf.namelist()]
    assert not any(CANARY_SECRET.encode() in b for b in blobs)
    assert not any(CANARY_SECRET.encode() in (folder / n).read_bytes() for n in FILES)


def test_badge_and_certificate_page_show_the_verdict(oss_bundle):
    folder, _ = oss_bundle
    svg = ElementTree.fromstring((folder / "badge.svg").read_text())
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["CORS oss-strict", "certified"]
    page = (folder / "certificate.html").read_text()
    assert "certified" in page and load_profile("oss-strict").digest in page
    assert sha(folder / "results.json") in page  # the page names the digests it covers


def test_the_s3_reference_is_certified_under_s3_strict(tmp_path):
    code, out, err = run_cli("certify", "--profile", "s3-strict", "--out", tmp_path / "b", "-q")
    assert code == ExitStatus.OK, out + err
    cert = json.loads((tmp_path / "b" / "certificate.json").read_text())
    assert cert["verdict"] == "certified" and cert["target"]["dialect"] == "s3"
    assert cert["items"]["counted"] > 300 and cert["items"]["excluded"] > 0  # oss-only ones
    assert run_cli("verify", tmp_path / "b.zip")[0] == ExitStatus.OK


def test_s3rver_is_not_certified_and_its_deviations_are_listed(s3rver_bundles):
    folder, code, out, err = s3rver_bundles["plain"]
    assert code == ExitStatus.CONFORMANCE_FAILURES, out + err
    cert = json.loads((folder / "certificate.json").read_text())
    assert cert["verdict"] == "not certified"
    assert cert["items"]["failed"] == len(cert["failures"]) > 10
    assert any("not excused" in r for r in cert["reasons"])
    first = cert["failures"][0]
    assert first["nodeid"].endswith("[s3]") and first["fails"]
    assert "certificate: not certified under profile s3-strict" in out
    assert f"fails: {first['nodeid']}" in out
    page = (folder / "certificate.html").read_text()
    assert "Failures that are not excused" in page and "not certified" in page
    assert "not certified" in (folder / "badge.svg").read_text()


def test_s3rver_with_its_known_deviations_is_certified_with_them_excused(s3rver_bundles):
    folder, code, out, err = s3rver_bundles["excused"]
    assert code == ExitStatus.OK, out + err
    cert = json.loads((folder / "certificate.json").read_text())
    n = len(cert["excused_deviations"])
    plain = json.loads((s3rver_bundles["plain"][0] / "certificate.json").read_text())
    assert n == plain["items"]["failed"] > 10  # every deviation of the plain run, excused
    assert cert["verdict"] == f"certified with {n} excused deviations"
    shipped = s3rver_bundles["shipped"]
    reasons = {d["nodeid"]: d["reason"] for d in cert["excused_deviations"]}
    assert all(reasons.values())
    kept = [nodeid for nodeid in reasons if nodeid in shipped]
    assert kept and all(reasons[k] == shipped[k].reason for k in kept)  # the file's words
    assert (folder / "expectations.yaml").is_file() and "expectations.yaml" in cert["files"]
    assert f"excused: {kept[0]}: {reasons[kept[0]]}" in out


def test_verify_accepts_untouched_bundles(oss_bundle, s3rver_bundles):
    folder, _ = oss_bundle
    for bundle in (folder, folder.parent / "bundle.zip", s3rver_bundles["excused"][0],
                   s3rver_bundles["plain"][0]):
        code, out, err = run_cli("verify", bundle)
        assert code == ExitStatus.OK, err
        assert out.startswith(f"verified: {bundle}: ") and not err


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(b'"title": "') + len(b'"title": "')
    data[at] ^= 0x20  # a title's first letter changes case: still valid JSON
    path.write_bytes(bytes(data))


def test_verify_rejects_a_single_byte_changed_in_results_json(oss_bundle, tmp_path):
    bundle = copy(oss_bundle[0], tmp_path)
    _flip_one_byte(bundle / "results.json")
    code, out, err = run_cli("verify", bundle)
    assert code == ExitStatus.CONFORMANCE_FAILURES and not out
    assert err.splitlines() == [f"verify failed: {bundle}: results.json: sha256 differs "
                                "from certificate.json (file changed)"]


def test_verify_rejects_a_changed_byte_inside_the_zip(oss_bundle, tmp_path):
    bundle = copy(oss_bundle[0], tmp_path)
    _flip_one_byte(bundle / "results.json")
    archive = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in bundle.iterdir():
            zf.write(p, f"bundle/{p.name}")
    code, _, err = run_cli("verify", archive)
    assert code == ExitStatus.CONFORMANCE_FAILURES and "results.json: sha256 differs" in err


def test_verify_rejects_an_edited_verdict(s3rver_bundles, tmp_path):
    bundle = copy(s3rver_bundles["plain"][0], tmp_path)
    cert = json.loads((bundle / "certificate.json").read_text())
    cert["verdict"] = "certified"
    (bundle / "certificate.json").write_text(json.dumps(cert))
    code, _, err = run_cli("verify", bundle)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    assert err.splitlines() == [f"verify failed: {bundle}: certificate.json: verdict is "
                                "'certified', results.json under s3-strict gives 'not certified'"]


def test_verify_rejects_forged_results_even_with_fixed_up_digests(s3rver_bundles, tmp_path):
    """Turning failures into passes and recomputing the digests changes the counts."""
    bundle = copy(s3rver_bundles["plain"][0], tmp_path)
    results = json.loads((bundle / "results.json").read_text())
    for item in results["items"]:
        item["checks"] = [{**c, "ok": True} for c in item["checks"]]
        if item["outcome"] == "failed":
            item.update(outcome="passed", classification="pass")
    (bundle / "results.json").write_text(json.dumps(results))
    cert = json.loads((bundle / "certificate.json").read_text())
    cert["verdict"], cert["reasons"] = "certified", []
    cert["files"]["results.json"] = sha(bundle / "results.json")
    (bundle / "certificate.json").write_text(json.dumps(cert))
    code, _, err = run_cli("verify", bundle)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    assert "certificate.json: items is" in err and "verdict" not in err


def _corpus_copy(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(REPO / "cases", root / "cases")
    return root


def test_verify_rejects_another_corpus(oss_bundle, tmp_path):
    root = _corpus_copy(tmp_path)
    assert run_cli("verify", oss_bundle[0], "--corpus", root)[0] == ExitStatus.OK
    case = sorted((root / "cases").rglob("*.yaml"))[3]
    case.write_text(case.read_text() + "# one more line\n")
    code, _, err = run_cli("verify", oss_bundle[0], "--corpus", root)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    assert len(err.splitlines()) == 1 and "another corpus: case-set digest" in err


def test_verify_rejects_a_corpus_with_another_set_of_files(oss_bundle, tmp_path):
    root = _corpus_copy(tmp_path)
    (root / "cases" / "extra").mkdir()
    shutil.copy(sorted((root / "cases").rglob("*.yaml"))[3], root / "cases/extra/more.yaml")
    code, _, err = run_cli("verify", oss_bundle[0], "--corpus", root)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    assert "another corpus: the results name" in err and "cases/extra/more.yaml" in err


def test_verify_rejects_another_profile_definition(oss_bundle, tmp_path):
    own = tmp_path / "oss-strict.yaml"
    own.write_text(load_profile_text("oss-strict").replace("min_items: 1", "min_items: 2"))
    code, _, err = run_cli("verify", oss_bundle[0], "--profile", own)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    assert "profile oss-strict: its definition differs" in err


def load_profile_text(name: str) -> str:
    return (REPO / "conformance" / "profiles" / f"{name}.yaml").read_text()


def test_verify_rejects_a_file_added_to_the_bundle(oss_bundle, tmp_path):
    bundle = copy(oss_bundle[0], tmp_path)
    (bundle / "notes.txt").write_text("trust me")
    code, _, err = run_cli("verify", bundle)
    assert code == ExitStatus.CONFORMANCE_FAILURES and "notes.txt: not part of a bundle" in err


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing", "no such file or folder"),
    (lambda d: d.joinpath("junk.zip").write_bytes(b"PK\x03\x04junk") and d / "junk.zip",
     "neither a bundle folder nor a .zip"),
    (lambda d: _zip(d / "slip.zip", {"../certificate.json": b"{}"}), "unsafe member name"),
    (lambda d: _zip(d / "abs.zip", {"/etc/certificate.json": b"{}"}), "unsafe member name"),
    (lambda d: _zip(d / "nested.zip", {"a/b/certificate.json": b"{}", "c": b""}),
     "a bundle holds no sub-folders"),
    (lambda d: _zip(d / "nojson.zip", {"certificate.json": b"{not json"}),
     "certificate.json:1: not JSON"),
    (lambda d: _zip(d / "list.zip", {"certificate.json": b"[]"}), "not a JSON object"),
    (lambda d: _zip(d / "deep.zip", {"certificate.json": b"[" * 100000}), "certificate.json"),
    (lambda d: _zip(d / "nocert.zip", {"results.json": b"{}"}), "no certificate.json"),
])
def test_verify_unreadable_input_is_one_line_and_exit_2(tmp_path, make, message):
    code, out, err = run_cli("verify", make(tmp_path))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR, err
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_verify_bounds_member_sizes_whatever_the_zip_header_says(tmp_path, monkeypatch):
    monkeypatch.setattr(_bundle, "MAX_FILE_BYTES", 1000)
    archive = _zip(tmp_path / "big.zip", {"certificate.json": b" " * 5000 + b"{}"})
    code, _, err = run_cli("verify", archive)
    assert code == ExitStatus.USAGE_OR_CASE_ERROR and "larger than 1000 bytes" in err


def test_a_broken_profile_is_a_one_line_error_naming_file_and_line(tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text(load_profile_text("oss-strict").replace("levels: [must]", "levels: [often]"))
    code, _, err = run_cli("certify", "--profile", bad, "--out", tmp_path / "b")
    assert code == ExitStatus.USAGE_OR_CASE_ERROR and len(err.splitlines()) == 1
    assert f"{bad}:" in err and "counts.levels[0]: 'often' is not one of" in err
    code, _, err = run_cli("certify", "--profile", "lenient", "--out", tmp_path / "b")
    assert code == ExitStatus.USAGE_OR_CASE_ERROR and "browser-functional, oss-strict" in err


# --- the profiles' rules, on planted items ---------------------------------------------------

def item(nodeid="cases/a/b.yaml::x[oss]", dialect="oss", outcome="passed", **extra) -> dict:
    base = {"nodeid": nodeid, "dialect": dialect, "outcome": outcome, "classification": "pass",
            "checks": [{"subject": "status", "level": "must", "ok": True},
                       {"subject": "browser", "level": "must", "ok": True}],
            "browser": {"expected": "allowed"}, "impact": None, "error": None}
    return {**base, **extra}


def check(subject, level, ok=False):
    return {"subject": subject, "level": level, "ok": ok, "expected": "x", "actual": "y"}


def verdicts(*items) -> dict[str, str]:
    from conformance.profiles.evaluate import evaluate

    doc = {"items": list(items)}
    return {name: evaluate(doc, load_profile(name)).verdict
            for name in ("oss-strict", "browser-functional")}


def test_a_wire_only_deviation_fails_strict_but_not_browser_functional():
    wire = item(outcome="failed", classification="new deviation", impact="wire-only",
                checks=[check("status", "must"), check("browser", "must", ok=True)])
    assert verdicts(item(), wire) == {"oss-strict": "not certified",
                                      "browser-functional": "certified"}


def test_a_browser_visible_deviation_fails_both():
    seen = item(outcome="failed", classification="new deviation", impact="browser-visible",
                checks=[check("browser", "must")])
    assert set(verdicts(item(), seen).values()) == {"not certified"}


def test_levels_decide_as_in_a_run():
    should_wire = item(outcome="warned", checks=[check("header:Vary", "should")])
    assert verdicts(should_wire)["oss-strict"] == "certified"  # reported, not counted
    should_browser = item(outcome="failed", classification="new deviation",
                          checks=[check("browser", "should")])
    assert verdicts(should_browser)["oss-strict"] == "not certified"  # a browser's is must


def test_skips_other_dialects_and_errors():
    inapplicable = item(outcome="skipped", checks=[], browser=None,
                        skip_reason="not applicable to oss: S3 only")
    unsupported = item(nodeid="cases/a/c.yaml::y[oss]", outcome="skipped", checks=[],
                       browser=None, skip_reason="provisioning unsupported: 501")
    other = item(dialect="s3", outcome="failed", classification="new deviation")
    assert verdicts(item(), inapplicable, other)["oss-strict"] == "certified"
    assert verdicts(item(), unsupported) == {"oss-strict": "not certified",
                                             "browser-functional": "certified"}
    errored = item(outcome="failed", classification="error", error="GET failed: reset",
                   checks=[], browser=None)
    assert set(verdicts(item(), errored).values()) == {"not certified"}
    assert verdicts(inapplicable)["oss-strict"] == "not certified"  # nothing ran


def test_a_known_deviation_is_excused_and_named():
    from conformance.profiles.evaluate import evaluate

    known = item(outcome="xfailed", classification="known deviation", known_deviation="why",
                 checks=[check("status", "must")])
    ev = evaluate({"items": [item(), known]}, load_profile("oss-strict"))
    assert ev.verdict == "certified with 1 excused deviation"
    assert ev.excused == [{"nodeid": known["nodeid"], "reason": "why",
                           "fails": ["status: expected x, got y (must)"]}]


@pytest.mark.parametrize("bad, message", [
    ([3], "results.json: items[0]: not a mapping"),
    ([{**item(), "checks": "no"}], "results.json: items[0].checks: missing or not a list"),
    ([item(checks=[{"subject": 1}])], "results.json: items[0].checks[0]: not a check"),
    ([item(browser="allowed")], "results.json: items[0].browser: of the wrong type"),
])
def test_malformed_results_are_one_line_errors(bad, message):
    from conformance.errors import ConformanceError
    from conformance.profiles.evaluate import evaluate

    with pytest.raises(ConformanceError, match=re.escape(message)):
        evaluate({"items": bad}, load_profile("oss-strict"))


def test_browser_functional_on_s3rver_counts_only_what_a_browser_sees(s3rver_bundles):
    from conformance.profiles.evaluate import evaluate

    results = json.loads((s3rver_bundles["plain"][0] / "results.json").read_text())
    strict = evaluate(results, load_profile("s3-strict"))
    browser = evaluate(results, load_profile("browser-functional"))
    by_id = {i["nodeid"]: i for i in results["items"]}
    assert browser.failed and len(browser.failed) < len(strict.failed)
    assert all(by_id[f["nodeid"]]["impact"] == "browser-visible" for f in browser.failed)


@pytest.mark.parametrize("where, mutate", [
    ("certificate.json", lambda c: c.update(files=[])),
    ("certificate.json", lambda c: c.update(items="many")),
    ("certificate.json", lambda c: c["profile"].update(sha256=5, name="oss-strict")),
    ("certificate.json", lambda c: c["profile"].update(name=["x"])),
    ("certificate.json", lambda c: c.update(suite={"version": {"a": 1}})),
    ("certificate.json", lambda c: c["files"].update({"../../etc/passwd": "00"})),
    ("certificate.json", lambda c: c.update(excused_deviations=[1, None])),
    ("results.json", lambda r: r["items"][0].update(case=[1])),
    ("results.json", lambda r: r["items"][0].update(checks=[None])),
    ("results.json", lambda r: r.update(items={})),
    ("results.json", lambda r: r.update(target={"endpoint": "http://h:99999/"})),
    ("results.json", lambda r: r.update(case_set_digest=None)),
])
def test_verify_survives_malformed_fields_without_a_traceback(oss_bundle, tmp_path, where,
                                                              mutate):
    bundle = copy(oss_bundle[0], tmp_path)
    doc = json.loads((bundle / where).read_text())
    mutate(doc)
    (bundle / where).write_text(json.dumps(doc))
    code, out, err = run_cli("verify", bundle)
    assert code in (ExitStatus.CONFORMANCE_FAILURES, ExitStatus.USAGE_OR_CASE_ERROR), out
    assert err and "Traceback" not in err and not out
