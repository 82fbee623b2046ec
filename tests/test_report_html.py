"""report.html reads itself: target in the title, our counts first, rows by kind, clause text.

The page of a real run against s3rver (whose known deviations are in expectations/s3rver.yaml)
is opened in headless Chromium: row colours, reasons, clause titles and the table's width are
what a user sees, so they are measured there. The screenshot stays in the test's folder (and
in $CONFORMANCE_SCREENSHOTS when set), for a look by eye.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance import __version__
from conformance.chromium import CHROMIUM, unavailable
from conformance.report.html_page import (
    classification_cell,
    dedupe_log,
    glossary_html,
    headline_html,
    page_title,
    target_label,
)
from tests.targets import servers

REPO = Path(__file__).resolve().parent.parent
SUBSET = ("matching/request-headers.yaml", "matching/origin-literal-comparison.yaml",
          "delete-bucket-cors/delete-semantics.yaml", "preflight/star-origin.yaml",
          "preflight/object-paths.yaml")  # the last has items skipped in S3, with a reason
MISSING = unavailable()
needs_chromium = pytest.mark.skipif(MISSING is not None, reason=f"no browser: {MISSING}")


def run_s3rver(folder: Path, expectations: Path, *extra: str) -> subprocess.CompletedProcess:
    """`oss-conformance run` of SUBSET against a fresh s3rver, named s3rver in targets.yaml."""
    with servers.s3rver() as srv:
        targets = folder / "targets.yaml"
        targets.write_text(yaml.safe_dump({"targets": {"s3rver": {
            "endpoint": srv.endpoint, "dialect": "s3", "region": srv.region,
            "access_key_env": "S3RVER_KEY", "secret_env": "S3RVER_SECRET"}}}))
        env = {**os.environ, "CONFORMANCE_TARGETS": str(targets),
               "S3RVER_KEY": srv.credentials.access_key_id,
               "S3RVER_SECRET": srv.credentials.secret}
        return subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--target", "s3rver", "-q",
             "--expectations", str(expectations), "--reports", str(folder / "reports"),
             *extra, *(str(REPO / "cases" / c) for c in SUBSET)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def s3rver_run(tmp_path_factory):
    """One run with the shipped expectations minus one entry, so all row kinds show."""
    folder = tmp_path_factory.mktemp("report-html")
    doc = yaml.safe_load((REPO / "expectations" / "s3rver.yaml").read_text())
    dropped = sorted(k for k in doc["deviations"] if "origin-literal-comparison" in k)[0]
    del doc["deviations"][dropped]  # now a new deviation
    expectations = folder / "s3rver.yaml"
    expectations.write_text(yaml.safe_dump(doc))
    proc = run_s3rver(folder, expectations)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]  # a new deviation
    reports = folder / "reports"
    results = json.loads((reports / "results.json").read_text())
    return reports, results, dropped


def page_tests(page: str) -> dict:
    blob = re.search(r'data-jsonblob="([^"]*)"', page).group(1)
    return json.loads(html.unescape(blob))["tests"]


def test_the_page_names_the_target_and_counts_from_the_records(s3rver_run):
    reports, results, dropped = s3rver_run
    page = (reports / "report.html").read_text()
    title = re.search(r"<title[^>]*>([^<]*)</title>", page).group(1)
    endpoint = results["target"]["endpoint"]
    assert title == html.escape(f"CORS conformance: s3rver (s3, {endpoint}), "
                                f"oss-cors-conformance {__version__}")
    head = page[page.index('<div class="cc-headline">'):page.index('<p class="run-count">')]
    summary = results["summary"]
    kinds = summary["classifications"]
    assert kinds["new deviation"] >= 1 and kinds["known deviation"] >= 5, kinds
    assert (f"<b>{summary['browser_visible_deviations']}</b> browser-visible deviation(s)"
            in head)
    assert f"<b>{kinds['known deviation']}</b> known deviation(s)" in head
    assert f"<b>{kinds['new deviation']}</b> new deviation(s)" in head
    assert "<b>0</b> error(s)" in head
    assert head.index("browser-visible") < head.index("known deviation(s)") < head.index(
        "error(s)") < head.index("skipped")
    assert "Errors," not in page  # pytest-html's phase counter is relabelled, and hidden at 0


def test_each_block_appears_once_and_known_reasons_are_in_the_rows(s3rver_run):
    reports, results, dropped = s3rver_run
    tests = page_tests((reports / "report.html").read_text())
    (new,) = tests[dropped]
    assert new["extras"][0]["content"].count("<h4>Preflight exchange</h4>") == 1
    assert "OPTIONS /" not in new["log"] and "Access-Control-Allow-Origin" not in new["log"]
    reasons = {r["nodeid"]: r["known_deviation"] for r in results["items"]
               if r["classification"] == "known deviation"}
    for nodeid, reason in reasons.items():
        (row,) = tests[nodeid]
        assert html.escape(reason) in row["resultsTableRow"][2], nodeid
        assert "cc-k-known" in row["resultsTableRow"][2]


def test_each_cited_clause_has_one_entry_with_its_text_and_evidence():
    # the page links clause ids to these entries in the browser (see the Chromium test)
    section = glossary_html({"OSS-21", "S3-4", "app:x"})
    assert section.count("<dt id=") == 2 and 'id="cc-OSS-21"' in section
    assert "evidence " in section and "source: " in section  # S3 entries name their source


def test_every_value_is_escaped_and_bounded():
    hostile = "<script>alert(1)</script>" * 500
    record = {"classification": "known deviation", "outcome": "xfailed",
              "impact": "browser-visible<b>", "known_deviation": hostile}
    kind, cell = classification_cell(record, "skipped")
    assert kind == "known" and "<script>" not in cell and "<b>" not in cell
    assert len(cell) < 2 * 1024 * 6 and "[cut: " in cell
    target = {"name": hostile, "endpoint": "http://h/", "dialect": "s3"}
    assert "<script>" not in headline_html(target, [record])
    target["name"] = "a\x1b[31m" + "x" * 500  # plain text (the template escapes it): bounded
    assert "\x1b" not in page_title(target) and len(page_title(target)) < 200


def test_each_record_has_one_row_kind():
    from conformance.report.html_page import row_kind

    assert row_kind({"classification": "pass", "outcome": "warned"}, "passed") == "warned"
    assert row_kind({"classification": "unexpected pass", "outcome": "warned"}, "") == \
        "unexpected"
    assert row_kind({"classification": "something new"}, "passed") == "error"  # never a pass
    assert row_kind(None, "failed") == "error" and row_kind(None, "skipped") == "skipped"


def test_a_stopped_run_says_why_at_the_top_and_names_the_endpoint(pytester, case_dir):
    result = pytester.runpytest("--endpoint=http://127.0.0.1:1", "--html=r/report.html",
                                "--self-contained-html")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR  # the CLI's exit 3
    page = (pytester.path / "r" / "report.html").read_text()
    head = page[page.index('<div class="cc-headline">'):page.index('<p class="run-count">')]
    assert '<p class="cc-problem">STOPPED: ' in head and "127.0.0.1:1" in head
    title = re.search(r"<title[^>]*>([^<]*)</title>", page).group(1)
    assert title.startswith("CORS conformance: oss@127.0.0.1 (oss, http://127.0.0.1:1)")


def test_a_target_without_a_name_is_dialect_at_host():
    assert target_label({"name": "s3rver"}) == "s3rver"
    assert target_label({"name": "http://127.0.0.1:41234", "endpoint": "http://127.0.0.1:41234",
                         "dialect": "s3"}) == "s3@127.0.0.1"
    assert target_label({"dialect": "oss"}) == ""


def test_the_log_keeps_only_what_the_extras_lack():
    log = ["E diff and transcript\n", "---- conformance warnings ----\nthe diff",
           "---- Captured stdout call ----\nhello"]
    dedupe_log({"error": None}, "call", True, log)
    assert log == ["---- Captured stdout call ----\nhello"]
    traceback = ["Traceback ...\n"]
    dedupe_log({"error": "internal error: KeyError()"}, "call", True, traceback)
    assert traceback == ["Traceback ...\n"]


# -- in a real browser ----------------------------------------------------------------------
@needs_chromium
def test_chromium_shows_distinct_rows_reasons_clause_text_and_no_overflow(s3rver_run):
    from playwright.sync_api import sync_playwright

    reports, results, dropped = s3rver_run
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox",
                                                                       "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((reports / "report.html").as_uri())
            page.wait_for_selector("#results-table tbody")
            page.screenshot(path=str(reports / "report.png"))  # the head: target and counts
            page.evaluate("document.querySelector('tbody.failed').scrollIntoView()")
            page.screenshot(path=str(reports / "report-rows.png"))  # a failing row, expanded
            seen = _measure(page, reports / "report-clause.png")
        finally:
            browser.close()
    colours = seen["colours"]
    assert {"new", "known", "pass"} <= set(colours), colours
    assert len({colours["new"], colours["known"], colours["pass"]}) == 3, colours
    assert seen["title"].startswith("CORS conformance: s3rver (s3, ")
    assert seen["reasons"] >= 5 and all(seen["reason_visible"]), seen
    assert seen["skip_reasons"] and all(seen["skip_reasons"]), seen
    assert colours["skipped"] not in (colours["pass"], colours["known"], colours["new"])
    assert seen["clause_title"].startswith("OSS-") or seen["clause_title"].startswith("S3-")
    assert len(seen["clause_title"]) > 30 and seen["clause_open"], seen
    assert seen["table_width"] <= 1280 and seen["page_width"] <= 1280, seen
    keep = os.environ.get("CONFORMANCE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for name in ("report.png", "report-rows.png", "report-clause.png"):
            shutil.copy(reports / name, Path(keep) / f"s3rver-{name}")
    print(f"\nreport.html {(reports / 'report.html').stat().st_size} bytes, "  # noqa: T201
          f"summary {results['summary']}, screenshot {reports / 'report.png'}")


def _measure(page, clause_shot: Path) -> dict:
    """Computed colours per row kind, reasons, a clause link's hover title, widths."""
    colours = page.evaluate("""() => {
        const out = {};
        for (const kind of ['new', 'known', 'pass', 'skipped', 'error']) {
            const cell = document.querySelector(`tr.collapsible > td.col-impact.cc-k-${kind}`);
            if (cell) out[kind] = getComputedStyle(cell).backgroundColor;
        }
        return out;
    }""")
    reasons = page.locator("td.cc-k-known small.cc-reason")
    visible = [reasons.nth(i).is_visible() for i in range(reasons.count())]
    skips = page.locator("td.cc-k-skipped small.cc-reason")
    skip_reasons = [skips.nth(i).is_visible() and "not applicable to s3" in skips.nth(i)
                    .inner_text() for i in range(skips.count())]
    page.click("#show_all_details")
    link = page.locator("a[href^='#cc-OSS-'], a[href^='#cc-S3-']").first
    link.scroll_into_view_if_needed()
    link.hover()
    clause_title = link.get_attribute("title") or ""
    href = link.get_attribute("href")
    link.click()
    clause_open = page.locator(href).is_visible()
    page.screenshot(path=str(clause_shot))  # the followed link's entry, its section opened
    widths = page.evaluate("""() => ({
        table: document.getElementById('results-table').getBoundingClientRect().right,
        page: document.documentElement.scrollWidth})""")
    page.evaluate("window.scrollTo(0, 0)")
    return {"colours": colours, "title": page.title(), "reasons": len(visible),
            "skip_reasons": skip_reasons,
            "reason_visible": visible, "clause_title": clause_title,
            "clause_open": clause_open, "table_width": widths["table"],
            "page_width": widths["page"]}
