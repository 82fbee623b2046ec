"""CORS conformance suite for Alibaba Cloud OSS and OSS/S3-compatible object stores."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402 - after __version__, which submodules read
    CaseFormatError,
    ConformanceError,
    ExpectationError,
    ProvisioningError,
    TargetError,
)

__all__ = [
    "CaseFormatError", "ConformanceError", "ExpectationError", "ProvisioningError",
    "TargetError", "__version__",
]
