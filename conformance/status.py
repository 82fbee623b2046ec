"""Exit statuses of `oss-conformance`, part of the CLI contract.

Kept below every command module (conformance.cli re-exports it), so a command never imports
the CLI module that dispatches to it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes, part of the CLI contract."""

    OK = 0
    CONFORMANCE_FAILURES = 1
    USAGE_OR_CASE_ERROR = 2
    TARGET_OR_PROVISIONING_ERROR = 3
    INTERRUPTED = 130


__all__ = ["ExitStatus"]
