"""The restore journal: an existing bucket's CORS configuration, saved before the first change.

The file is written atomically and fsynced before any PutBucketCors, and removed only once the
original configuration is back. A journal left behind (SIGKILL, power cut) blocks the next run
against that bucket until `oss-conformance restore` resolves it.

What is saved is the GetBucketCors body exactly as the target sent it (base64, with its
SHA-256), so a restore loses nothing the model does not know (rule IDs, a clone's own elements);
its full-fidelity parse (cors_tree) is saved next to it for people to read. A journal that
cannot be read, whatever is wrong with it, is a one-line JournalError naming the file and field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from .cases.model import CorsConfig, CorsRule
from .cors_tree import Tree, parse_tree, tree_json, valid_tree
from .errors import ConformanceError

STATE_ENV = "CONFORMANCE_STATE_DIR"


def state_dir() -> Path:
    """$CONFORMANCE_STATE_DIR, else $XDG_STATE_HOME/oss-conformance (~/.local/state/...)."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "oss-conformance"


VERSION = 2
MAX_JOURNAL = 4 * 1024 * 1024  # bytes; a journal holds one configuration (<= 1 MB of XML)
DIALECTS = ("oss", "s3")
TEXT_LIMIT = 2000  # characters of a saved configuration shown in a message
# Target facts a restore needs, and the values each may take (None: any string).
_TARGET_FIELDS: dict[str, tuple[str, ...] | None] = {
    "name": None, "endpoint": None, "dialect": DIALECTS, "addressing": ("path", "virtual"),
    "signature_version": ("v4", "v1")}
_OPTIONAL_TEXT = ("region", "access_key_env", "secret_env", "bucket")
_LEGACY_LISTS = ("allowed_origins", "allowed_methods", "allowed_headers", "expose_headers")


class JournalError(ConformanceError):
    """A journal that cannot be used as it is: one line naming the file and the field."""

    def __init__(self, path: Path, field: str, why: str) -> None:
        super().__init__(f"journal {path}: {field}: {why}; inspect it by hand and restore the "
                         "bucket's CORS rules from it, then delete it")


@dataclass(frozen=True)
class Journal:
    """What must be put back, and where."""

    path: Path
    target: dict  # Target.facts(): endpoint, dialect, env variable names; never a secret
    bucket: str
    original_xml: bytes | None  # GetBucketCors body as sent; None: no CORS configuration
    started_at: str
    pid: int
    legacy: CorsConfig | None = None  # a version-1 journal kept only the model (no rule IDs)

    @property
    def had_cors(self) -> bool:
        """Whether the bucket had a CORS configuration before the run."""
        return self.original_xml is not None or self.legacy is not None

    @property
    def original_tree(self) -> Tree | None:
        """The saved configuration's full-fidelity parse (None: none, or a version-1 journal)."""
        return None if self.original_xml is None else parse_tree(self.original_xml)

    @property
    def original_text(self) -> str:
        """The saved configuration as a person reads it, on one line of bounded length."""
        if not self.had_cors:
            return "no CORS configuration (restore = DeleteBucketCors)"
        if self.legacy is not None:
            return json.dumps(self.legacy.to_dict()) + " (version-1 journal: no rule IDs kept)"
        text = tree_json(self.original_tree)
        if len(text) <= TEXT_LIMIT:
            return text
        return f"{text[:TEXT_LIMIT]}... ({len(text) - TEXT_LIMIT} more characters in the journal)"

    def facts(self) -> dict:
        """The target facts a Target can be built from (validated when the journal was read)."""
        keep = (*_TARGET_FIELDS, *_OPTIONAL_TEXT)
        return {k: v for k, v in self.target.items() if k in keep and k != "bucket"}


def journal_path(endpoint: str, dialect: str, bucket: str) -> Path:
    """One journal per (endpoint, dialect, bucket)."""
    key = hashlib.sha256(f"{endpoint}\0{dialect}\0{bucket}".encode()).hexdigest()[:20]
    return state_dir() / "journal" / f"{bucket}-{key}.json"


def write_journal(path: Path, target: dict, bucket: str, original_xml: bytes | None
                  ) -> Journal:
    """Save atomically: temp file, fsync, rename, fsync the folder.

    A body that is not a CORS configuration (parse_tree's ValueError) is refused before
    anything is written: a bucket whose configuration could not be put back is never changed.
    """
    journal = Journal(path, target, bucket, original_xml,
                      datetime.now(timezone.utc).isoformat(timespec="seconds"), os.getpid())
    original = None
    if original_xml is not None:
        try:
            tree = parse_tree(original_xml)
        except ValueError as exc:
            raise ConformanceError(f"GetBucketCors on bucket {bucket} answered a body that "
                                   f"cannot be saved for a restore: {exc}; nothing was "
                                   "changed") from None
        original = {"xml_base64": base64.b64encode(original_xml).decode("ascii"),
                    "sha256": hashlib.sha256(original_xml).hexdigest(), "parsed": tree}
    data = {"version": VERSION, "target": target, "bucket": bucket, "original": original,
            "started_at": journal.started_at, "pid": journal.pid}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".journal-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return journal


def read_journal(path: Path) -> Journal:
    """A journal from disk; anything wrong with it is a JournalError naming file and field."""
    data = _load(path)
    version = _get(path, data, "version", int)
    if version not in (1, VERSION):
        raise JournalError(path, "version", f"{version} is not 1 or {VERSION}")
    target = _target(path, _get(path, data, "target", dict))
    bucket = _get(path, data, "bucket", str)
    started_at = _get(path, data, "started_at", str)
    pid = _get(path, data, "pid", int)
    if "original" not in data:
        raise JournalError(path, "original", "missing")
    if version == 1:
        legacy = _legacy(path, data["original"])
        return Journal(path, target, bucket, None, started_at, pid, legacy)
    return Journal(path, target, bucket, _original(path, data["original"]), started_at, pid)


def remove_journal(journal: Journal) -> None:
    """The original is back: forget it."""
    journal.path.unlink(missing_ok=True)
    _fsync_dir(journal.path.parent)


def all_journals() -> list[Path]:
    """Every journal left in the state folder."""
    folder = state_dir() / "journal"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _load(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_JOURNAL + 1)
    except OSError as exc:
        raise JournalError(path, "file", exc.strerror or exc.__class__.__name__) from None
    if len(raw) > MAX_JOURNAL:
        raise JournalError(path, "file", f"larger than {MAX_JOURNAL} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JournalError(path, "file", f"not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise JournalError(path, "file", "JSON nested too deep") from None
    except json.JSONDecodeError as exc:
        raise JournalError(path, "file", f"not JSON at line {exc.lineno} column {exc.colno}: "
                                         f"{exc.msg}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise JournalError(path, "file", f"not usable JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise JournalError(path, "file", f"expected a JSON object, found {_kind(data)}")
    return data


def _get(path: Path, data: dict, field: str, kind: type, where: str = "") -> object:
    name = f"{where}{field}"
    if field not in data:
        raise JournalError(path, name, "missing")
    value = data[field]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise JournalError(path, name, f"expected {_kind(kind())}, found {_kind(value)}")
    return value


def _target(path: Path, target: dict) -> dict:
    for field, allowed in _TARGET_FIELDS.items():
        value = _get(path, target, field, str, "target.")
        if allowed is not None and value not in allowed:
            raise JournalError(path, f"target.{field}", f"{value!r} is not one of "
                                                        f"{', '.join(allowed)}")
    try:
        parts = urlsplit(target["endpoint"])
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:
        usable = False
    if not usable:
        raise JournalError(path, "target.endpoint", "not an http(s) URL")
    for field in _OPTIONAL_TEXT:
        if target.get(field) is not None:
            _get(path, target, field, str, "target.")
    return target


def _original(path: Path, original: object) -> bytes | None:
    if original is None:
        return None
    if not isinstance(original, dict):
        raise JournalError(path, "original", f"expected object or null, found {_kind(original)}")
    encoded = _get(path, original, "xml_base64", str, "original.")
    try:
        body = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise JournalError(path, "original.xml_base64", "not valid base64") from None
    digest = original.get("sha256")
    if digest is not None and digest != hashlib.sha256(body).hexdigest():
        raise JournalError(path, "original.sha256", "does not match original.xml_base64 "
                                                    "(the file was changed or damaged)")
    try:
        parse_tree(body)
    except ValueError as exc:
        raise JournalError(path, "original.xml_base64", str(exc)) from None
    if "parsed" in original and not valid_tree(original["parsed"]):
        raise JournalError(path, "original.parsed", "not a [tag, text or children] tree")
    return body


def _legacy(path: Path, original: object) -> CorsConfig | None:
    """A version-1 journal's model dict (what earlier releases wrote), checked field by field."""
    if original is None:
        return None
    if not isinstance(original, dict):
        raise JournalError(path, "original", f"expected object or null, found {_kind(original)}")
    rules = _get(path, original, "rules", list, "original.")
    vary = original.get("response_vary")
    if vary is not None and not isinstance(vary, bool):
        raise JournalError(path, "original.response_vary", f"expected boolean or null, found "
                                                           f"{_kind(vary)}")
    return CorsConfig(tuple(_legacy_rule(path, r, f"original.rules[{i}]")
                            for i, r in enumerate(rules)), vary)


def _legacy_rule(path: Path, rule: object, where: str) -> CorsRule:
    if not isinstance(rule, dict):
        raise JournalError(path, where, f"expected object, found {_kind(rule)}")
    lists = {}
    for field in _LEGACY_LISTS:
        value = rule.get(field) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise JournalError(path, f"{where}.{field}", "expected a list of strings")
        lists[field] = tuple(value)
    max_age = rule.get("max_age_seconds")
    if max_age is not None and (not isinstance(max_age, int) or isinstance(max_age, bool)):
        raise JournalError(path, f"{where}.max_age_seconds", f"expected integer or null, found "
                                                             f"{_kind(max_age)}")
    return CorsRule(**lists, max_age_seconds=max_age)


def _kind(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", int: "integer", float: "number",
             bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
