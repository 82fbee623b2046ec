"""Browser truth: a real headless Chromium agrees with every browser verdict the suite computes.

Needs Debian's /usr/bin/chromium and Playwright for Python (`.ci/run` installs both); without
them the browser tests skip with the command that fixes it. One session against a scripted
target: test_chromium_session.py; which requests a page can make: test_chromium_plan.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from conformance import browser
from conformance.chromium import unavailable
from conformance.reference import ReferenceServer
from conformance.targets import DEV_KEY_ID, DEV_SECRET
from tests.doubles.servers import MutatingProxy
from tests.targets import servers

# pytester's in-process runs unload the modules first imported inside them, and compiled
# extensions (cryptography's bindings, greenlet) do not survive a second import: load them here.
for _name in ("cryptography.x509", "cryptography.hazmat.primitives.asymmetric.ec",
              "cryptography.hazmat.primitives.serialization", "playwright.sync_api"):
    if importlib.util.find_spec(_name.split(".")[0]) is not None:
        importlib.import_module(_name)

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "cases"
MISSING = unavailable()
needs_chromium = pytest.mark.skipif(MISSING is not None, reason=f"no browser: {MISSING}")


def test_an_unusable_browser_is_a_one_line_usage_error(pytester, case_dir):
    result = pytester.runpytest("--browser", "chromium", "--browser-executable", "/nonexistent")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--browser chromium: /nonexistent is not installed*"])


# -- the whole corpus, with Chromium beside every browser verdict -------------------------
def _browser_run(pytester, *args: str) -> tuple[pytest.RunResult, dict, dict]:
    results = pytester.path / "results.json"
    result = pytester.runpytest(
        *args, "-o", f"conformance_case_roots={CASES}", "-p", "no:cacheprovider",
        "--browser", "chromium", f"--conformance-results={results}")
    doc = json.loads(results.read_text())
    counts = {"checked": 0, "agreed": 0, "skipped with reason": 0}
    for r in doc["items"]:
        b = r["browser"] or {}
        if b.get("expected") is None:
            continue
        if b["observed"] is None:
            counts["skipped with reason"] += 1
            assert b["observed_reason"], r["nodeid"]
            continue
        counts["checked"] += 1
        counts["agreed"] += not b["suite_bug"]
    print(f"\n{args[-1] if args else 'corpus'}: {counts}")  # noqa: T201 - the counts are the report
    return result, doc, counts


@needs_chromium
def test_corpus_on_the_reference_chromium_agrees_with_every_computed_verdict(pytester):
    result, doc, counts = _browser_run(pytester, str(CASES))
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert counts["checked"] >= 150 and counts["agreed"] == counts["checked"], counts
    for r in doc["items"]:
        b = r["browser"]
        if b and b["observed"] is not None:  # same exchange as the probe here: all four agree
            assert b["observed"] == b["computed"] == b["expected"] == b["predicted"], r["nodeid"]
            assert b["preflight_sent"] == (b["observed_stage"] == "preflight")
    result.stdout.fnmatch_lines([f"chromium: {counts['checked']} observed, "
                                 f"{counts['agreed']} agreed, 0 suite bug, "
                                 f"{counts['skipped with reason']} not observable"])


@needs_chromium
def test_corpus_on_s3rver_chromium_agrees_with_every_computed_verdict(pytester, monkeypatch):
    with servers.s3rver() as srv:
        targets = pytester.path / "targets.yaml"
        targets.write_text(yaml.safe_dump({"targets": {"s3rver": {
            "endpoint": srv.endpoint, "dialect": "s3", "region": srv.region,
            "access_key_env": "S3RVER_KEY", "secret_env": "S3RVER_SECRET"}}}))
        monkeypatch.setenv("CONFORMANCE_TARGETS", str(targets))
        monkeypatch.setenv("S3RVER_KEY", srv.credentials.access_key_id)
        monkeypatch.setenv("S3RVER_SECRET", srv.credentials.secret)
        result, doc, counts = _browser_run(
            pytester, "--target", "s3rver",
            f"--expectations={REPO / 'expectations' / 's3rver.yaml'}", str(CASES))
    kinds = {r["classification"] for r in doc["items"]}
    # skipped: items that cannot apply to S3 (each with its reason), never a failure here
    assert result.ret == 0 and kinds <= {"pass", "known deviation", "skipped"}, kinds
    assert all(r["skip_reason"].startswith("not applicable to s3")
               for r in doc["items"] if r["classification"] == "skipped")
    assert counts["checked"] >= 80 and counts["agreed"] == counts["checked"], counts


def _accepts_star_with_credentials(monkeypatch):
    real = browser.cors_check

    def wrong(*, origin, credentials, headers):
        if credentials and browser._get(headers, "Access-Control-Allow-Origin") == "*":
            return browser.Decision(True, "star accepted with credentials (a planted bug)")
        return real(origin=origin, credentials=credentials, headers=headers)

    monkeypatch.setattr(browser, "cors_check", wrong)
    return "preflight/credentials.yaml"


def _ignores_missing_allow_headers(monkeypatch):
    monkeypatch.setattr(browser, "_headers_check", lambda names, allowed, credentials:
                        browser.Decision(True, "headers not checked (a planted bug)"))
    return "matching/request-headers.yaml"


def _nothing_planted(monkeypatch):
    return "matching/request-headers.yaml"


def _lax_clone(method, path, status, headers, body):
    """A clone that answers a refused preflight 200 with a fixed header list anyway.

    The reference refuses unlisted headers with a 403 and no CORS headers, so only such an
    answer lets the Allow-Headers step decide, and the planted bug show.
    """
    if status != 403:
        return status, headers, body
    return 200, [("Access-Control-Allow-Origin", "*"),
                 ("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD"),
                 ("Access-Control-Allow-Headers", "x-oss-meta-a")], b""


@needs_chromium
@pytest.mark.parametrize("plant", [_accepts_star_with_credentials,
                                   _ignores_missing_allow_headers, _nothing_planted])
def test_a_wrong_computed_verdict_is_reported_as_a_suite_bug(pytester, monkeypatch, plant):
    case = str(CASES / plant(monkeypatch))
    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)  # a loopback endpoint: the development pair
    with ReferenceServer(credentials={DEV_KEY_ID: DEV_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, _lax_clone) as target:
        result, doc, counts = _browser_run(pytester, f"--endpoint={target.endpoint}", case)
    bugs = [r for r in doc["items"] if r["classification"] == "suite bug"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the clone deviates in any case
    if plant is _nothing_planted:  # the control: the same deviating answers, no suite bug
        assert not bugs and counts["agreed"] == counts["checked"] > 0, counts
        return
    assert bugs and counts["agreed"] < counts["checked"], counts
    for r in bugs:
        b = r["browser"]
        assert b["predicted"] == "allowed" and b["observed"] == "blocked", r["nodeid"]
        assert "conformance/browser.py says allowed" in b["suite_bug"]
        result.stdout.fnmatch_lines([f"suite bug: {r['nodeid']}"])
    result.stdout.fnmatch_lines(["*SUITE BUG (not a deviation of the target)*"])
