"""The installed suite's case corpus: where it is, which files it has, and their digest.

The digest is the one results.json records (report.results.case_set_digest: sha256 over the
sorted relative paths and bytes of the case files a run used). A certified run uses every case
file, so the installed corpus matches a certificate when its set of case files is the one the
results name and the digest over those files is the one recorded.
"""

from __future__ import annotations

from pathlib import Path

import conformance

from ..cases import is_case_file
from ..errors import ConformanceError
from ..report.results import case_set_digest


def corpus_root(explicit: str | None = None) -> Path:
    """The folder holding `cases/`: given, else the suite's checkout, else the current one."""
    if explicit:
        root = Path(explicit)
        if not (root / "cases").is_dir():
            raise ConformanceError(f"{explicit}: has no cases/ folder")
        return root.resolve()
    for root in (Path(conformance.__file__).resolve().parents[1], Path.cwd()):
        if (root / "cases").is_dir():
            return root
    raise ConformanceError("cannot find the case corpus (a cases/ folder); name the folder "
                           "holding it with --corpus")


def case_paths(root: Path) -> set[str]:
    """Relative paths (as results.json writes them) of every case file under root/cases."""
    return {p.relative_to(root).as_posix() for p in (root / "cases").rglob("*")
            if p.is_file() and is_case_file(p.name)}


def corpus_mismatch(root: Path, named: set[str], recorded: str) -> str | None:
    """Why the installed corpus is not the one `named`/`recorded` describe; None if it is.

    Only installed files are ever read: the paths in a results file are untrusted and are
    compared as strings, never opened.
    """
    installed = case_paths(root)
    if named != installed:
        missing, extra = sorted(installed - named), sorted(named - installed)
        detail = (f"{len(extra)} case file(s) the installed corpus lacks, e.g. {extra[0]}"
                  if extra else f"{len(missing)} installed case file(s) missing from the run, "
                  f"e.g. {missing[0]}")
        return f"another corpus: the results name {detail}"
    actual = case_set_digest(root, installed)
    if actual != recorded:
        return (f"another corpus: case-set digest {str(recorded)[:16]}… recorded, the installed "
                f"corpus has {actual[:16]}…")
    return None
