"""The embedded reference OSS endpoint: the suite's default target."""

from __future__ import annotations

from .server import ReferenceServer

__all__ = ["ReferenceServer"]
