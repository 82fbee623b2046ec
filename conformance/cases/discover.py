"""Which case files a list of command-line paths names."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConformanceError


def is_case_file(name: str) -> bool:
    """*.yaml / *.yml whose stem is not ALL-CAPS (UNCOVERED.yaml and the like are metadata)."""
    stem, dot, suffix = name.rpartition(".")
    metadata = any(c.isalpha() for c in stem) and stem == stem.upper()
    return bool(dot) and suffix in ("yaml", "yml") and not metadata


def case_files(paths: list[str]) -> list[Path]:
    """YAML files named, or found under the folders named, in a stable order."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files += sorted(x for x in p.rglob("*") if is_case_file(x.name))
        elif p.exists():
            files.append(p)
        else:
            raise ConformanceError(f"{raw}: no such file or folder")
    return files
