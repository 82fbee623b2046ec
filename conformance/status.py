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


EXIT_CODES = """exit status:
  0  every item passed (known deviations allowed)
  1  conformance failures: a new deviation, or an unexpected pass of a known one
  2  usage error, or a case/targets/expectations file that does not validate
  3  the target cannot be used: unreachable, credentials refused, provisioning failed,
     or a restore of an existing bucket failed
  130 interrupted (an existing bucket is restored first)"""

__all__ = ["EXIT_CODES", "ExitStatus"]
