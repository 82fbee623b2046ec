"""Put an existing bucket's CORS configuration back, verify it, and resolve its journal.

The journal holds the GetBucketCors body exactly as the target sent it. The restore sends that
body back unchanged: moto, s3rver and the reference endpoint accept their own GetBucketCors
bodies (rule IDs, S3's namespace, OSS's ResponseVary) as PutBucketCors bodies, and so do S3
and OSS as documented; nothing is stripped that would have to be guessed at.

The verification reads GetBucketCors again and compares bodies: byte-identical, or (a server
that re-serialises) an equal full-fidelity parse: every element, IDs included, in order, text
whitespace-trimmed. Never the case model, which has no IDs. A difference is a loud failure and
the journal stays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .cases.model import same_config
from .cors_tree import first_difference, parse_tree
from .dialects.base import Dialect
from .journal import Journal, remove_journal

SETTLE_S = 5.0  # how long an eventually consistent target (OSS-63) gets to show the restore


@dataclass(frozen=True)
class Outcome:
    """How a restore ended: problem None on success; byte_identical when bodies match."""

    problem: str | None
    byte_identical: bool = False


def restore_bucket(dialect: Dialect, journal: Journal, settle_s: float = SETTLE_S) -> str | None:
    """Restore and verify; None on success, else a loud one-paragraph problem (journal kept)."""
    return restore_outcome(dialect, journal, settle_s).problem


def restore_outcome(dialect: Dialect, journal: Journal, settle_s: float = SETTLE_S) -> Outcome:
    """restore_bucket, also saying whether the target's body came back byte for byte."""
    bucket = journal.bucket
    if not journal.had_cors:
        result = dialect.delete_cors(bucket)
        operation = "DeleteBucketCors"
    elif journal.legacy is not None:
        result = dialect.put_cors(bucket, journal.legacy)
        operation = "PutBucketCors"
    else:
        assert journal.original_xml is not None
        result = dialect.put_cors_raw(bucket, journal.original_xml)
        operation = "PutBucketCors (the saved body)"
    if not result.ok:
        detail = f"{result.status} {result.code or ''}".rstrip()
        message = " ".join((result.message or "").split())[:200]
        why = f"{operation} answered {detail}" + (f": {message}" if message else "")
        return Outcome(_failed(journal, why))
    deadline = time.monotonic() + settle_s
    delay = 0.05
    while True:
        why, identical = _verify(dialect, journal)
        if why is None:
            remove_journal(journal)
            return Outcome(None, identical)
        if time.monotonic() + delay > deadline:
            return Outcome(_failed(journal, why))
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def _verify(dialect: Dialect, journal: Journal) -> tuple[str | None, bool]:
    """What is wrong with what the bucket stores now (None: nothing), and byte identity."""
    if not journal.had_cors:
        result, _ = dialect.get_cors_raw(journal.bucket)
        if result.code == "NoSuchCORSConfiguration":
            return None, True
        return f"GetBucketCors still answers {result.status} after the delete", False
    if journal.legacy is not None:  # a version-1 journal: the model is all there is
        result, seen = dialect.get_cors(journal.bucket)
        if result.ok and same_config(seen, journal.legacy):
            return None, False
        return "GetBucketCors does not show the saved configuration", False
    result, now = dialect.get_cors_raw(journal.bucket)
    if not result.ok or now is None:
        return (f"GetBucketCors answers {result.status} {result.code or ''}".rstrip()
                + " after the restore"), False
    if now == journal.original_xml:
        return None, True
    try:
        tree = parse_tree(now)
    except ValueError as exc:
        return f"GetBucketCors answers a body that is not a CORS configuration: {exc}", False
    saved = journal.original_tree
    assert saved is not None
    difference = first_difference(saved, tree)
    if difference is None:
        return None, False
    return f"GetBucketCors differs from the saved configuration at {difference}", False


def _failed(journal: Journal, why: str) -> str:
    return (f"RESTORE FAILED for bucket {journal.bucket}: {why}. The original configuration is "
            f"kept in {journal.path}: {journal.original_text}. Run `oss-conformance restore` "
            "to retry.")
