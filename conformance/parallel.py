"""xdist scheduling that keeps each configuration, and each sequence, on one worker.

xdist's own `loadgroup` depends on a node-id suffix that some pytest versions never get (9.2),
so the group is computed here from the node id's case file: a sequence file is one group, and
every other item is grouped by the digest of the configuration its case provisions. Work then
moves in whole groups, in collection order, so each configuration is provisioned once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from xdist.scheduler import LoadScopeScheduling

from .cases import CaseFileErrors, is_case_file, load_case


class ConfigurationScheduling(LoadScopeScheduling):
    """LoadScopeScheduling whose scope is a case's configuration or sequence."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self._root = Path(config.rootpath)

    def _split_scope(self, nodeid: str) -> str:
        file = nodeid.split("::", 1)[0]
        if "::" not in nodeid or not is_case_file(Path(file).name):
            return super()._split_scope(nodeid)  # not a case: xdist's file scope
        return group_of(self._root / file, file)


@lru_cache(maxsize=4096)
def group_of(path: Path, display: str) -> str:
    """`sequence:<file>` or the configuration digest of the case in `path`."""
    try:
        case = load_case(path, display=display)
    except CaseFileErrors:
        return display  # it did not collect anyway
    return f"sequence:{display}" if case.sequence else case.config_key
