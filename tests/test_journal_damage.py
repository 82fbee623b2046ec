"""Damaged restore journals (issue 15): one line naming the file and the field, never a traceback.

`restore` and `restore --list` read every journal; each unreadable one is reported on one line
(exit 2) and left in place, and the readable ones are still listed or restored.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import pytest

from conformance.cli import ExitStatus, main
from tests.test_restore_fidelity import BUCKET, S3_OWNER


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """Journals of this test only."""
    monkeypatch.setenv("CONFORMANCE_STATE_DIR", str(tmp_path / "state"))


GOOD_TARGET = {"name": "moto", "endpoint": "http://127.0.0.1:9", "dialect": "s3",
               "addressing": "path", "region": "us-east-1", "signature_version": "v4",
               "access_key_env": None, "secret_env": None, "bucket_policy": "existing",
               "bucket": BUCKET, "fixed_cors": None}


def good_journal() -> dict:
    """A version-2 journal as write_journal writes it."""
    return {"version": 2, "target": dict(GOOD_TARGET), "bucket": BUCKET,
            "original": {"xml_base64": base64.b64encode(S3_OWNER).decode(),
                         "sha256": hashlib.sha256(S3_OWNER).hexdigest(),
                         "parsed": ["CORSConfiguration", []]},
            "started_at": "2026-12-03T12:00:00+00:00", "pid": 4242}


def _set(path: tuple, value):
    def damage(data: dict) -> dict:
        holder = data
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value
        return data
    return damage


def _with_xml(data: dict, body: bytes) -> dict:
    """A journal whose saved body (digest consistent) is `body`."""
    data["original"].update(xml_base64=base64.b64encode(body).decode(),
                            sha256=hashlib.sha256(body).hexdigest())
    return data


def _drop(key: str):
    def damage(data: dict) -> dict:
        del data[key]
        return data
    return damage


V1_RULES = {"version": 1, "target": GOOD_TARGET, "bucket": BUCKET, "started_at": "x", "pid": 1}
DAMAGES = {
    # name: (how the file is damaged, the field the message must name)
    "rules-not-a-mapping": (lambda d: {**V1_RULES, "original": {"rules": [1, 2]}},
                            "original.rules[0]"),
    "rules-not-a-list": (lambda d: {**V1_RULES, "original": {"rules": {"a": 1}}},
                         "original.rules"),
    "v1-origins-not-strings": (lambda d: {**V1_RULES, "original": {"rules": [
        {"allowed_origins": [1], "allowed_methods": ["GET"]}]}},
                               "original.rules[0].allowed_origins"),
    "target-a-list": (_set(("target",), ["http://x"]), "target"),
    "unknown-dialect": (_set(("target", "dialect"), "gcs"), "target.dialect"),
    "endpoint-not-http": (_set(("target", "endpoint"), "ftp://x"), "target.endpoint"),
    "endpoint-bad-port": (_set(("target", "endpoint"), "http://x:99999"), "target.endpoint"),
    "name-not-text": (_set(("target", "name"), 7), "target.name"),
    "region-a-list": (_set(("target", "region"), ["a"]), "target.region"),
    "bad-base64": (_set(("original", "xml_base64"), "***not base64***"), "original.xml_base64"),
    "base64-not-xml": (lambda d: _with_xml(d, b"<a>"), "original.xml_base64"),
    "base64-entity-bomb": (lambda d: _with_xml(
        d, b'<!DOCTYPE a [<!ENTITY e "x">]><CORSConfiguration>&e;</CORSConfiguration>'),
                           "original.xml_base64"),
    "base64-other-root": (lambda d: _with_xml(d, b"<Error/>"), "original.xml_base64"),
    "sha256-mismatch": (_set(("original", "sha256"), "0" * 64), "original.sha256"),
    "parsed-damaged": (_set(("original", "parsed"), {"rules": 1}), "original.parsed"),
    "original-a-string": (_set(("original",), "rules"), "original"),
    "no-original": (_drop("original"), "original"),
    "no-bucket": (_drop("bucket"), "bucket"),
    "pid-text": (_set(("pid",), "4242"), "pid"),
    "pid-bool": (_set(("pid",), True), "pid"),
    "version-9": (_set(("version",), 9), "version"),
    "top-level-list": (lambda d: [d], "file"),
}
RAW_DAMAGES = {
    "truncated-json": (lambda text: text.encode()[: len(text) // 2], "file"),
    "non-utf8": (lambda text: b"\xff\xfe" + text.encode("utf-16-le"), "file"),
    "empty": (lambda text: b"", "file"),
    "deep-nesting": (lambda text: b"[" * 100_000 + b"]" * 100_000, "file"),
    "huge-integer": (lambda text: text.replace('"pid": 4242', '"pid": ' + "9" * 5000).encode(),
                     "file"),
}


def _write_damaged(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{BUCKET}-{name}.json"
    if name in DAMAGES:
        path.write_text(json.dumps(DAMAGES[name][0](good_journal()), indent=1), encoding="utf-8")
    else:
        path.write_bytes(RAW_DAMAGES[name][0](json.dumps(good_journal(), indent=1)))
    return path


@pytest.mark.parametrize("command", [["restore"], ["restore", "--list"]], ids=["restore", "list"])
@pytest.mark.parametrize("name", [*DAMAGES, *RAW_DAMAGES])
def test_a_damaged_journal_is_one_line_naming_file_and_field(name, command, tmp_path):
    path = _write_damaged(tmp_path / "state" / "journal", name)
    field = {**DAMAGES, **RAW_DAMAGES}[name][1]
    out, err = io.StringIO(), io.StringIO()
    code = main(command, stdout=out, stderr=err)
    assert code == ExitStatus.USAGE_OR_CASE_ERROR, (out.getvalue(), err.getvalue())
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "Traceback" not in err.getvalue(), err.getvalue()
    assert f"journal {path}: {field}:" in lines[0], lines[0]
    assert path.exists()  # never deleted: the owner's rules may be in it


def test_a_directory_named_like_a_journal_is_one_line(tmp_path):
    folder = tmp_path / "state" / "journal" / "odd.json"
    folder.mkdir(parents=True)
    err = io.StringIO()
    assert main(["restore", "--list"], stdout=io.StringIO(), stderr=err) == 2
    assert f"journal {folder}: file:" in err.getvalue() and len(err.getvalue().splitlines()) == 1


def test_good_journals_are_still_listed_next_to_a_damaged_one(tmp_path):
    folder = tmp_path / "state" / "journal"
    _write_damaged(folder, "unknown-dialect")
    (folder / "good.json").write_text(json.dumps(good_journal()), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["restore", "--list"], stdout=out, stderr=err) == ExitStatus.USAGE_OR_CASE_ERROR
    assert "owner-app" in out.getvalue() and "target.dialect" in err.getvalue()


def test_a_version_1_journal_still_loads(tmp_path):
    folder = tmp_path / "state" / "journal"
    folder.mkdir(parents=True)
    data = {**V1_RULES, "original": {"rules": [
        {"allowed_origins": ["*"], "allowed_methods": ["GET"], "allowed_headers": [],
         "expose_headers": [], "max_age_seconds": None}], "response_vary": None}}
    (folder / "old.json").write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    assert main(["restore", "--list"], stdout=out, stderr=io.StringIO()) == ExitStatus.OK
    assert "version-1 journal" in out.getvalue()
