"""Put an existing bucket's CORS configuration back, verify it, and resolve its journal."""

from __future__ import annotations

from .cases.model import same_config
from .dialects.base import Dialect
from .journal import Journal, remove_journal


def restore_bucket(dialect: Dialect, journal: Journal) -> str | None:
    """Restore and verify; None on success, else a loud one-paragraph problem (journal kept)."""
    bucket, original = journal.bucket, journal.original
    if original is None:
        result = dialect.delete_cors(bucket)
    else:
        result = dialect.put_cors(bucket, original)
    if not result.ok:
        return _failed(journal, f"{'DeleteBucketCors' if original is None else 'PutBucketCors'}"
                                f" answered {result.status} {result.code or ''}".rstrip())
    seen_result, seen = dialect.get_cors(bucket)
    if original is None and seen_result.code != "NoSuchCORSConfiguration":
        return _failed(journal, f"GetBucketCors still answers {seen_result.status} after the "
                                "delete")
    if original is not None and not same_config(seen, original):
        return _failed(journal, "GetBucketCors does not show the saved configuration")
    remove_journal(journal)
    return None


def _failed(journal: Journal, why: str) -> str:
    return (f"RESTORE FAILED for bucket {journal.bucket}: {why}. The original configuration is "
            f"kept in {journal.path}: {journal.original_text}. Run `oss-conformance restore` "
            "to retry.")
