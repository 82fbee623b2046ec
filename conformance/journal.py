"""The restore journal: an existing bucket's CORS configuration, saved before the first change.

The file is written atomically and fsynced before any PutBucketCors, and removed only once the
original configuration is back. A journal left behind (SIGKILL, power cut) blocks the next run
against that bucket until `oss-conformance restore` resolves it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .cases.loader import build_config
from .cases.model import CorsConfig
from .errors import ConformanceError

STATE_ENV = "CONFORMANCE_STATE_DIR"


def state_dir() -> Path:
    """$CONFORMANCE_STATE_DIR, else $XDG_STATE_HOME/oss-conformance (~/.local/state/...)."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "oss-conformance"


@dataclass(frozen=True)
class Journal:
    """What must be put back, and where."""

    path: Path
    target: dict  # Target.facts(): endpoint, dialect, env variable names; never a secret
    bucket: str
    original: CorsConfig | None  # None: the bucket had no CORS configuration
    started_at: str
    pid: int

    @property
    def original_text(self) -> str:
        """The saved configuration as a person reads it (for a failed restore's message)."""
        if self.original is None:
            return "no CORS configuration (restore = DeleteBucketCors)"
        return json.dumps(self.original.to_dict())


def journal_path(endpoint: str, dialect: str, bucket: str) -> Path:
    """One journal per (endpoint, dialect, bucket)."""
    key = hashlib.sha256(f"{endpoint}\0{dialect}\0{bucket}".encode()).hexdigest()[:20]
    return state_dir() / "journal" / f"{bucket}-{key}.json"


def write_journal(path: Path, target: dict, bucket: str, original: CorsConfig | None) -> Journal:
    """Save atomically: temp file, fsync, rename, fsync the folder."""
    journal = Journal(path, target, bucket, original,
                      datetime.now(timezone.utc).isoformat(timespec="seconds"), os.getpid())
    data = {"version": 1, "target": target, "bucket": bucket,
            "original": None if original is None else original.to_dict(),
            "started_at": journal.started_at, "pid": journal.pid}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".journal-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return journal


def read_journal(path: Path) -> Journal:
    """A journal from disk; an unreadable one is a one-line error naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        original = data["original"]
        config = None if original is None else build_config(_as_case_shape(original))
        return Journal(path, data["target"], data["bucket"], config, data["started_at"],
                       data["pid"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConformanceError(f"journal {path} is unreadable ({exc}); inspect it by hand "
                               "and restore the bucket's CORS rules from it") from None


def remove_journal(journal: Journal) -> None:
    """The original is back: forget it."""
    journal.path.unlink(missing_ok=True)
    _fsync_dir(journal.path.parent)


def all_journals() -> list[Path]:
    """Every journal left in the state folder."""
    folder = state_dir() / "journal"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _as_case_shape(config: dict) -> dict:
    """CorsConfig.to_dict() back into the case-file shape build_config reads."""
    rules = [{k: v for k, v in rule.items() if v not in (None, [], ())}
             for rule in config["rules"]]
    out: dict = {"rules": rules}
    if config.get("response_vary") is not None:
        out["response_vary"] = config["response_vary"]
    return out


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
