"""Named targets from targets.yaml (validated by its own schema)."""

from __future__ import annotations

import os
from pathlib import Path

from .cases._source import read_source
from .cases._validate import did_you_mean, schema_errors
from .cases._yaml import load_with_lines
from .cases.loader import build_config
from .errors import CaseFormatError, TargetError
from .targets import Target

ENV_FILE = "CONFORMANCE_TARGETS"


def targets_path(rootdir: Path) -> Path:
    """$CONFORMANCE_TARGETS, else targets.yaml in the rootdir."""
    return Path(os.environ.get(ENV_FILE) or rootdir / "targets.yaml")


def load_targets(path: Path) -> dict[str, Target]:
    """Every target in the file; a problem is a one-line TargetError naming file:line."""
    try:  # a regular file, bounded, UTF-8, plain YAML: else one line naming file:line
        data, lines = load_with_lines(read_source(path, str(path)), str(path))
    except CaseFormatError as exc:
        raise TargetError(str(exc)) from None
    errors = schema_errors(data, lines, str(path), name="targets")
    if errors:
        raise TargetError(str(errors[0]))
    return {name: _target(name, raw) for name, raw in data["targets"].items()}


def _target(name: str, raw: dict) -> Target:
    fields = dict(raw)
    if "fixed_cors" in fields:
        fields["fixed_cors"] = build_config(fields["fixed_cors"])
    if "server_cors" in fields:  # one rule, built as a configuration of one
        fields["server_cors"] = build_config({"rules": [fields["server_cors"]]}).rules[0]
    return Target(name=name, **fields)


def named_target(name: str, rootdir: Path) -> Target:
    """The target called `name`; 'reference' is always the embedded endpoint."""
    if name == "reference":
        return Target()
    path = targets_path(rootdir)
    if not path.exists():
        raise TargetError(f"no {path.name} found at {path} (set {ENV_FILE} or create it from "
                          "targets.sample.yaml)", target=name)
    targets = load_targets(path)
    if name not in targets:
        known = sorted(targets)
        raise TargetError(f"not defined in {path}{did_you_mean(name, known)}; "
                          f"known: {', '.join(['reference', *known])}", target=name)
    return targets[name]
