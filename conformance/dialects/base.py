"""The small interface every wire dialect implements, and what it records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..cases.model import CorsConfig
from ..exchange import Exchange


@dataclass(frozen=True)
class CallResult:
    """Outcome of one management call: status, error code, and the exchanges it took."""

    status: int
    code: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """2xx."""
        return 200 <= self.status < 300


class Dialect(Protocol):
    """Bucket and CORS management in one wire dialect (signed by a maintained SDK)."""

    name: str
    log: list[Exchange]  # every management exchange, in order, for the report

    def create_bucket(self, bucket: str) -> CallResult:
        """Create a bucket (private)."""
        ...

    def delete_bucket(self, bucket: str) -> CallResult:
        """Delete an empty bucket."""
        ...

    def put_cors(self, bucket: str, config: CorsConfig) -> CallResult:
        """PutBucketCors with exactly this configuration."""
        ...

    def get_cors(self, bucket: str) -> tuple[CallResult, CorsConfig | None]:
        """GetBucketCors; the configuration, or None when there is none."""
        ...

    def delete_cors(self, bucket: str) -> CallResult:
        """DeleteBucketCors."""
        ...

    def put_object(self, bucket: str, key: str, data: bytes) -> CallResult:
        """PutObject."""
        ...

    def delete_object(self, bucket: str, key: str) -> CallResult:
        """DeleteObject."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
