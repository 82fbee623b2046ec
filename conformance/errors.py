"""One error vocabulary: every error the user can cause is a one-liner, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ConformanceError(Exception):
    """Base of every error the suite reports to the user as a single line."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class CaseFormatError(ConformanceError):
    """A case file that cannot be loaded: broken YAML or a schema violation."""

    file: str = ""
    line: int | None = None
    pointer: str = ""  # JSON-path-like location, e.g. preflights[0].expect.status

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"{self.pointer}: {self.message}" if self.pointer else self.message
        return f"{where}: {what}" if where else what


@dataclass
class TargetError(ConformanceError):
    """A target that is misconfigured, unreachable, or missing its credentials."""

    target: str = ""

    def __str__(self) -> str:
        return f"target {self.target!r}: {self.message}" if self.target else self.message


@dataclass
class TargetUnusable(TargetError):
    """The target acknowledges configuration changes but never shows them: the run stops."""


@dataclass
class ProvisioningError(ConformanceError):
    """The target refused or failed a bucket/CORS management call."""

    operation: str = ""
    status: int | None = None
    code: str | None = None

    def __str__(self) -> str:
        detail = " ".join(str(x) for x in (self.status, self.code) if x)
        head = f"{self.operation} failed" if self.operation else "provisioning failed"
        return f"{head}{f' ({detail})' if detail else ''}: {self.message}"


@dataclass
class ProvisioningUnsupported(ProvisioningError):
    """The target does not implement PutBucketCors (e.g. MinIO answers 501 NotImplemented)."""


@dataclass
class NotApplicable(ConformanceError):
    """The item cannot run on this target as configured; it is skipped with this reason."""


@dataclass
class ExpectationError(ConformanceError):
    """A preflight whose answer differs from the case at `must` level."""

    rendered: str = field(default="", repr=False)

    def __str__(self) -> str:
        return self.rendered or self.message
