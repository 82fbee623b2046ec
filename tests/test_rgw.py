"""Ceph RGW 16.2.15 as a third-party target: the whole corpus in S3 with its known deviations.

A one-host cluster (monitor, memstore OSD, radosgw) is started once per session on 127.0.0.1
(tests/targets/rgw.py, local-targets.md §8.2); about 20 s to start here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conformance.cli import ExitStatus
from tests.targets import rgw
from tests.targets.named import name_target, run_named
from tests.targets.servers import REPO, Server

NAME = "ceph-rgw"
EXPECTATIONS = REPO / "expectations" / f"{NAME}.yaml"


@pytest.fixture(scope="session")
def ceph_rgw() -> Iterator[Server]:
    """One throw-away cluster for the session; skips when Ceph is not installed."""
    with rgw.run() as server:
        yield server


@pytest.fixture
def named_target(ceph_rgw: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """RGW named in a targets.yaml, as the README tells users to do."""
    return name_target(ceph_rgw, NAME, tmp_path, monkeypatch)


def test_known_deviations_make_the_run_pass(named_target: str, tmp_path: Path) -> None:
    """The whole corpus: exit 0, no errors, every item passes or is a listed deviation."""
    code, doc = run_named(named_target, tmp_path / "r")
    classes: dict[str, list[str]] = {}
    for item in doc["items"]:
        classes.setdefault(item["classification"], []).append(item["nodeid"])
    assert code == ExitStatus.OK, {k: v[:5] for k, v in classes.items()}
    assert set(classes) <= {"pass", "known deviation", "skipped"}
    assert len(classes["pass"]) > len(classes.get("known deviation", [])) > 0


def test_removing_one_line_fails_exactly_that_item(named_target: str, tmp_path: Path) -> None:
    """Expectations are strict: an unlisted failure is a new deviation (only its file runs)."""
    data = yaml.safe_load(EXPECTATIONS.read_text())
    dropped = sorted(data["deviations"])[0]
    del data["deviations"][dropped]
    trimmed = tmp_path / "trimmed.yaml"
    trimmed.write_text(yaml.safe_dump(data))
    code, doc = run_named(named_target, tmp_path / "r", "--expectations", str(trimmed),
                          dropped.split("::")[0])
    assert code == ExitStatus.CONFORMANCE_FAILURES
    news = [r["nodeid"] for r in doc["items"] if r["classification"] == "new deviation"]
    assert news == [dropped]


def test_missing_tools_are_a_skip_that_says_how_to_install_them(monkeypatch) -> None:
    """Without the Debian packages the tests skip with the apt-get command."""
    monkeypatch.setattr(rgw.shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install -y radosgw ceph-mon"):
        with rgw.run():
            pass
