"""diff, run --baseline, and the nightly CI recipes run against real endpoints on loopback."""

from __future__ import annotations

import copy
import io
import json
import re
import shlex
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from conformance.cases.model import CorsConfig, CorsRule
from conformance.cli import ExitStatus, main
from conformance.reference import ReferenceServer
from conformance.targets import Credentials, Target
from tests.targets import servers

REPO = Path(__file__).resolve().parent.parent
SUBSET = REPO / "cases" / "delete-bucket-cors" / "delete-semantics.yaml"


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """results.json of the corpus on the embedded OSS reference."""
    reports = tmp_path_factory.mktemp("ref")
    code, out, err = run_cli("run", "--reports", reports, "-q")
    assert code == ExitStatus.OK, out + err
    return json.loads((reports / "results.json").read_text())


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def passing(doc: dict) -> list[dict]:
    return [i for i in doc["items"] if i["outcome"] == "passed"]


def fail(item: dict, reason: str | None = None) -> None:
    item["checks"][0] = {**item["checks"][0], "ok": False, "actual": "planted"}
    item.update(outcome="xfailed" if reason else "failed",
                classification="known deviation" if reason else "new deviation",
                known_deviation=reason)


def test_identical_runs_diff_clean(results, tmp_path):
    old = write(tmp_path / "old.json", results)
    code, out, err = run_cli("diff", old, old)
    assert code == ExitStatus.OK, err
    assert out.splitlines() == ["0 regression(s), 0 fix(es), 0 new warning(s), 0 new item(s), "
                                "0 removed item(s), 0 changed known-deviation reason(s)"]


def test_a_planted_regression_is_named_and_exits_1(results, tmp_path):
    new = copy.deepcopy(results)
    victim = passing(new)[5]
    fail(victim)
    code, out, _ = run_cli("diff", write(tmp_path / "old.json", results),
                           write(tmp_path / "new.json", new))
    assert code == ExitStatus.CONFORMANCE_FAILURES
    check = victim["checks"][0]
    assert out.splitlines()[0] == (f"regression: {victim['nodeid']}: pass -> fail: "
                                   f"{check['subject']}: expected {check['expected']}, "
                                   "got planted")
    assert out.splitlines()[-1].startswith("1 regression(s), 0 fix(es)")


def test_fixes_new_and_removed_items_and_changed_reasons(results, tmp_path):
    old, new = copy.deepcopy(results), copy.deepcopy(results)
    fixed, known, gone, warned = passing(old)[:4]
    fail(fixed)
    fail(known, "the old words")
    fail(next(i for i in new["items"] if i["nodeid"] == known["nodeid"]), "the new words")
    new["items"] = [i for i in new["items"] if i["nodeid"] != gone["nodeid"]]
    added = {**passing(new)[10], "nodeid": "cases/x/new.yaml::a new preflight[oss]"}
    new["items"].append(added)
    next(i for i in new["items"] if i["nodeid"] == warned["nodeid"])["outcome"] = "warned"
    code, out, _ = run_cli("diff", write(tmp_path / "old.json", old),
                           write(tmp_path / "new.json", new))
    assert code == ExitStatus.OK, out  # nothing that passed fails now
    lines = out.splitlines()
    assert f"fixed: {fixed['nodeid']}: fail -> pass" in lines
    assert f"removed item: {gone['nodeid']}" in lines
    assert f"new item: {added['nodeid']}: pass" in lines
    assert any(line.startswith(f"new warning: {warned['nodeid']}") for line in lines)
    assert f"reason changed: {known['nodeid']}: 'the old words' -> 'the new words'" in lines
    assert lines[-1] == ("0 regression(s), 1 fix(es), 1 new warning(s), 1 new item(s), "
                         "1 removed item(s), 1 changed known-deviation reason(s)")


def test_a_pass_that_becomes_a_known_deviation_is_still_a_regression(results, tmp_path):
    new = copy.deepcopy(results)
    victim = passing(new)[0]
    fail(victim, "listed since")
    code, out, _ = run_cli("diff", write(tmp_path / "old.json", results),
                           write(tmp_path / "new.json", new))
    assert code == ExitStatus.CONFORMANCE_FAILURES
    assert "(known deviation: listed since)" in out.splitlines()[0]


def test_bundles_folders_and_zips_are_accepted(results, tmp_path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    write(folder / "results.json", results)
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as zf:
        zf.write(folder / "results.json", "bundle/results.json")
    assert run_cli("diff", folder, tmp_path / "bundle.zip")[0] == ExitStatus.OK


@pytest.mark.parametrize("content, message", [
    (None, "no such file, bundle folder or .zip"),
    (b"{", "not JSON"),
    (b'{"items": 3}', "OLD: results.json has no items list"),
    (b'{"items": [{"nodeid": 1}]}', "OLD: results.json: items[0]: no nodeid or outcome"),
])
def test_unreadable_input_is_one_line_and_exit_2(results, tmp_path, content, message):
    old = tmp_path / "old.json"
    if content is not None:
        old.write_bytes(content)
    code, out, err = run_cli("diff", old, write(tmp_path / "new.json", results))
    assert code == ExitStatus.USAGE_OR_CASE_ERROR and not out
    assert len(err.splitlines()) == 1 and message in err


def test_run_baseline_fails_an_otherwise_passing_run_on_a_regression(tmp_path):
    """s3rver, one case file: its deviations known, so only the planted baseline fails it."""
    with servers.s3rver() as srv, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", srv.credentials.access_key_id)
        mp.setenv("AWS_SECRET_ACCESS_KEY", srv.credentials.secret)
        base = ["run", SUBSET, "--endpoint", srv.endpoint, "--dialect", "s3", "--region",
                srv.region, "--expectations", tmp_path / "exp.yaml", "-q"]
        first = run_cli(*base, "--update-expectations", "--reports", tmp_path / "r1")
        doc = json.loads((tmp_path / "r1" / "results.json").read_text())
        victim = next(i for i in doc["items"] if i["outcome"] == "failed")
        victim.update(outcome="passed", classification="pass")
        baseline = write(tmp_path / "baseline.json", doc)
        control = run_cli(*base, "--reports", tmp_path / "r2")
        code, out, err = run_cli(*base, "--baseline", baseline, "--reports", tmp_path / "r3")
        bad = run_cli(*base, "--baseline", tmp_path / "nothing.json", "--reports", tmp_path)
    assert first[0] == ExitStatus.CONFORMANCE_FAILURES
    assert control[0] == ExitStatus.OK, control[1]  # every deviation is known
    assert code == ExitStatus.CONFORMANCE_FAILURES, out + err
    assert f"regression: {victim['nodeid']}: pass -> fail: (known deviation:" in out
    page = (tmp_path / "r3" / "report.html").read_text()
    section = re.search(r'<div id="baseline-diff">.*?</div>', page, re.S).group(0)
    assert "1 regression(s)" in section and "regression</td>" in section
    assert bad[0] == ExitStatus.USAGE_OR_CASE_ERROR
    assert "--baseline: " in bad[2] and "no such file" in bad[2]


# --- the nightly CI recipes ----------------------------------------------------------------

GITHUB, GITLAB = REPO / "docs/ci/github-nightly.yml", REPO / "docs/ci/gitlab-nightly.yml"
KEY, SECRET = "LTAInightlyKEY0001", "nightly-canary-SECRET-5a9c"


def github_job() -> tuple[dict, list[str]]:
    doc = yaml.safe_load(GITHUB.read_text())
    job = doc["jobs"]["conformance"]
    assert "schedule" in doc[True]  # YAML 1.1 reads the key `on` as true
    uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]
    names = [step.get("name", "") for step in job["steps"]]
    upload = job["steps"][uses.index("actions/upload-artifact")]
    assert upload["if"] == "always()" and "bundle.zip" in upload["with"]["path"]
    # the baseline is read first and saved last, so only a run that passed every step is kept
    assert uses.index("actions/cache/restore") < names.index("Verify the bundle")
    assert uses[-1] == "actions/cache/save" and "if" not in job["steps"][-1]
    lines = [line for step in job["steps"] if "run" in step
             for line in step["run"].splitlines()]
    return job["env"], lines


def gitlab_job() -> tuple[dict, list[str]]:
    job = yaml.safe_load(GITLAB.read_text())["cors-nightly"]
    assert job["cache"]["when"] == "on_success" and job["artifacts"]["when"] == "always"
    return job["variables"], job["before_script"] + job["script"]


def commands(lines: list[str], env: dict[str, str]) -> list[list[str]]:
    """The oss-conformance command lines, variables expanded as the shell would."""
    found = []
    for line in lines:
        if "oss-conformance" not in line:
            continue
        text = re.split(r" \|\| |; ", line[line.index("oss-conformance"):])[0]
        text = re.sub(r"\$\{?(\w+)\}?", lambda m: env[m.group(1)], text)
        found.append(shlex.split(text)[1:])
    return found


@pytest.mark.parametrize("job", [github_job, gitlab_job], ids=["github", "gitlab"])
def test_the_nightly_recipe_runs_against_an_existing_bucket(job, tmp_path, monkeypatch,
                                                          open_dialect):
    declared, lines = job()
    assert declared["CONFORMANCE_PROFILE"] == "oss-strict"
    cmds = commands(lines, {**declared, "CONFORMANCE_TARGET": "nightly",
                            "CONFORMANCE_EXPECTATIONS": str(tmp_path / "exp.yaml")})
    assert [c[0] for c in cmds] == ["certify", "verify", "diff"]
    assert cmds[2] == ["diff", "baseline/results.json", "bundle"]
    (tmp_path / "exp.yaml").write_text("target: nightly\ndeviations: {}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONFORMANCE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NIGHTLY_KEY", KEY)
    monkeypatch.setenv("NIGHTLY_SECRET", SECRET)
    with ReferenceServer(credentials={KEY: SECRET}) as ref:
        owner = open_dialect(Target(name="owner", endpoint=ref.endpoint), Credentials(KEY, SECRET))
        assert owner.create_bucket("owner-bucket").ok
        rules = CorsConfig(rules=(CorsRule(("https://app.owner.test",), ("GET", "PUT")),))
        assert owner.put_cors("owner-bucket", rules).ok
        before = owner.get_cors_raw("owner-bucket")[1]
        (tmp_path / "targets.yaml").write_text(
            f"targets:\n  nightly:\n    endpoint: {ref.endpoint}\n    dialect: oss\n"
            "    access_key_env: NIGHTLY_KEY\n    secret_env: NIGHTLY_SECRET\n"
            "    bucket_policy: existing\n    bucket: owner-bucket\n")
        monkeypatch.setenv("CONFORMANCE_TARGETS", str(tmp_path / "targets.yaml"))
        certify = run_cli(*cmds[0])
        assert owner.get_cors_raw("owner-bucket")[1] == before  # the restore applied
    assert certify[0] == ExitStatus.OK, certify[1] + certify[2]
    assert run_cli(*cmds[1])[0] == ExitStatus.OK
    (tmp_path / "baseline").mkdir()
    shutil.copy(tmp_path / "bundle" / "results.json", tmp_path / "baseline" / "results.json")
    assert run_cli(*cmds[2])[0] == ExitStatus.OK  # last night's results, unchanged
    doc = json.loads((tmp_path / "bundle" / "results.json").read_text())
    fail(passing(doc)[0])  # tonight, one item fails
    write(tmp_path / "bundle" / "results.json", doc)
    code, out, _ = run_cli(*cmds[2])
    assert code == ExitStatus.CONFORMANCE_FAILURES and out.startswith("regression: ")
