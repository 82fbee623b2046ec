"""What a wire dialect adds to the shared reference endpoint: the interface both layers implement.

The server, the store, the route table and the CORS evaluation (cors.py) are shared. A layer
holds only what the dialects' documentation makes differ: signatures, error shape and messages,
PutBucketCors validation, the preflight's refusals, and the CORS headers added to answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from ..cases.model import CorsConfig
from . import errors
from .messages import Request, Response
from .store import StoredCors

if TYPE_CHECKING:
    from .service import Service

Handler = Callable[["Service", Request, "str | None"], Response]


class Layer(Protocol):
    """One dialect's behaviour, called by Service around the shared operations."""

    name: str
    server_name: str
    routes: Mapping[tuple[str, str, str | None], Handler]

    def new_request_id(self) -> tuple[str, list[tuple[str, str]]]:
        """A fresh request id and the headers that carry it."""
        ...

    def error_response(self, err: errors.OssError, request: Request, request_id: str,
                       id_headers: list[tuple[str, str]]) -> Response:
        """The dialect's error answer for `err`."""
        ...

    def prepare(self, request: Request) -> Request:
        """The request as operations see it (e.g. an aws-chunked body decoded)."""
        ...

    def authenticate(self, request: Request, credentials: Mapping[str, str], region: str,
                     now: float) -> str | None:
        """The AccessKeyId whose valid signature the request carries, None for anonymous."""
        ...

    def check_integrity(self, request: Request, operation: str) -> None:
        """Content-MD5 and checksum headers of a signed request."""
        ...

    def parse_cors(self, body: bytes) -> StoredCors:
        """A validated PutBucketCors body."""
        ...

    def serialize_cors(self, stored: StoredCors) -> bytes:
        """A GetBucketCors body."""
        ...

    def no_such_cors(self, bucket: str) -> errors.OssError:
        """GetBucketCors on a bucket without configuration."""
        ...

    def preflight(self, request: Request, exists: bool, config: CorsConfig | None) -> Response:
        """Answer an OPTIONS request; raises the dialect's refusal."""
        ...

    def cors_headers(self, config: CorsConfig | None, request: Request) -> list[tuple[str, str]]:
        """CORS headers added to an answer of any status (preflights: only what grant lacks)."""
        ...

    def etag(self, data: bytes) -> str:
        """The quoted ETag of an object body."""
        ...

    def object_headers(self) -> list[tuple[str, str]]:
        """Extra headers of GetObject/HeadObject answers."""
        ...

    def list_buckets_body(self, names: list[str], owner: str, prefix: str,
                          region: str) -> bytes:
        """A ListBuckets body."""
        ...

    def list_objects_body(self, bucket: str, request: Request,
                          objects: list[tuple[str, str, int]]) -> bytes:
        """A ListObjects body for (key, etag, size) triples."""
        ...
