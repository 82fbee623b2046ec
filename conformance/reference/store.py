"""Thread-safe in-memory state: buckets, their owners, objects and CORS configurations."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..cases.model import CorsConfig


class BucketMissing(LookupError):
    """The named bucket does not exist."""

    def __init__(self, bucket: str) -> None:
        super().__init__(bucket)
        self.bucket = bucket


class BucketNotEmpty(Exception):
    """DeleteBucket found objects left in the bucket."""


@dataclass(frozen=True)
class StoredObject:
    """An object's bytes and the metadata GetObject/HeadObject return."""

    data: bytes
    content_type: str
    etag: str
    last_modified: float


@dataclass(frozen=True)
class StoredCors:
    """A bucket's CORS configuration plus the S3 rule IDs (None where a rule has none)."""

    config: CorsConfig
    ids: tuple[str | None, ...] = ()


@dataclass
class _Bucket:
    owner: str
    created: float = field(default_factory=time.time)
    objects: dict[str, StoredObject] = field(default_factory=dict)
    cors: StoredCors | None = None


class Store:
    """All buckets of one endpoint. Every method is atomic under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _get(self, bucket: str) -> _Bucket:
        try:
            return self._buckets[bucket]
        except KeyError:
            raise BucketMissing(bucket) from None

    def buckets_of(self, owner: str, prefix: str = "") -> list[str]:
        """Names of `owner`'s buckets starting with `prefix`, sorted."""
        with self._lock:
            return sorted(name for name, b in self._buckets.items()
                          if b.owner == owner and name.startswith(prefix))

    def keys(self, bucket: str, prefix: str = "") -> list[tuple[str, StoredObject]]:
        """(key, object) pairs of `bucket` under `prefix`, sorted by key."""
        with self._lock:
            objects = self._get(bucket).objects
            return sorted((k, o) for k, o in objects.items() if k.startswith(prefix))

    def create_bucket(self, bucket: str, owner: str) -> str:
        """Create `bucket` for `owner` unless it exists; return the (possibly earlier) owner."""
        with self._lock:
            return self._buckets.setdefault(bucket, _Bucket(owner)).owner

    def delete_bucket(self, bucket: str) -> None:
        """Remove an empty bucket; raises BucketMissing or BucketNotEmpty."""
        with self._lock:
            if self._get(bucket).objects:
                raise BucketNotEmpty(bucket)
            del self._buckets[bucket]

    def owner(self, bucket: str) -> str:
        """The AccessKeyId that created `bucket`."""
        with self._lock:
            return self._get(bucket).owner

    def exists(self, bucket: str) -> bool:
        """Whether `bucket` exists."""
        with self._lock:
            return bucket in self._buckets

    def cors(self, bucket: str) -> CorsConfig | None:
        """The bucket's CORS configuration, or None when it has none."""
        stored = self.stored_cors(bucket)
        return stored.config if stored else None

    def stored_cors(self, bucket: str) -> StoredCors | None:
        """The configuration with its rule IDs, or None when it has none."""
        with self._lock:
            return self._get(bucket).cors

    def cors_if_exists(self, bucket: str | None) -> CorsConfig | None:
        """Like `cors`, but None for a missing bucket (CORS decoration never fails a request)."""
        with self._lock:
            found = self._buckets.get(bucket) if bucket else None
            return found.cors.config if found and found.cors else None

    def set_cors(self, bucket: str, config: CorsConfig | StoredCors | None) -> None:
        """Replace the whole configuration (OSS-41); None deletes it (OSS-64)."""
        if isinstance(config, CorsConfig):
            config = StoredCors(config)
        with self._lock:
            self._get(bucket).cors = config

    def created(self, bucket: str) -> float:
        """When `bucket` was created (Unix time)."""
        with self._lock:
            return self._get(bucket).created

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str,
                   etag: str) -> StoredObject:
        """Store (or overwrite) an object."""
        obj = StoredObject(data, content_type, etag, time.time())
        with self._lock:
            self._get(bucket).objects[key] = obj
        return obj

    def get_object(self, bucket: str, key: str) -> StoredObject | None:
        """The object, or None when the key is absent."""
        with self._lock:
            return self._get(bucket).objects.get(key)

    def delete_object(self, bucket: str, key: str) -> None:
        """Remove an object; absent keys are fine, as on OSS."""
        with self._lock:
            self._get(bucket).objects.pop(key, None)
