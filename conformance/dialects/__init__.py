"""Wire dialects behind one interface: OSS (alibabacloud-oss-v2) and S3 (botocore)."""

from __future__ import annotations

from ..errors import TargetError
from ..targets import Credentials, Target
from .base import CallResult, Dialect


def make_dialect(target: Target, credentials: Credentials) -> Dialect:
    """The dialect implementation for a target."""
    if target.dialect == "oss":
        from .oss import OssDialect

        return OssDialect(target, credentials)
    if target.dialect == "s3":
        from .s3 import S3Dialect

        return S3Dialect(target, credentials)
    raise TargetError(f"dialect {target.dialect!r} is not supported yet", target=target.name)


__all__ = ["CallResult", "Dialect", "make_dialect"]
