"""The embedded reference endpoint, in the OSS or the S3 dialect: the suite's default target."""

from __future__ import annotations

from .server import ReferenceServer

__all__ = ["ReferenceServer"]
