"""Subcommands of `oss-conformance`, one module each: add_parser(sub) and run(args, out, err).

They take ExitStatus from conformance.status and helpers from the modules beside and below
them, never from conformance.cli, which imports them only to register and dispatch.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# In the order `oss-conformance --help` lists them.
NAMES = ("run", "validate", "serve", "matrix", "coverage", "restore", "cleanup", "certify",
         "verify", "diff")


def module(name: str) -> ModuleType:
    """The module of subcommand `name` (imported when used, to keep start-up fast)."""
    return importlib.import_module(f"{__name__}.{name}")


__all__ = ["NAMES", "module"]
