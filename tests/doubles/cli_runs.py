"""A CLI run of case files against the embedded reference, straight or through an EdgeProxy."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.cli import main
from conformance.reference import ReferenceServer
from tests.conftest import CANARY_KEY, CANARY_SECRET
from tests.doubles.edge_doubles import EdgeProxy


def run_cli(tmp_path: Path, dialect: str, cases: Sequence[Path], edge: Callable | None = None,
            mutate: Callable | None = None, *, only_options: bool = False,
            bare: bool = False) -> tuple[int, str, dict]:
    """Run `cases` with canary keys: exit code, stdout + stderr, results.json as read.

    Through an EdgeProxy with `edge` and `mutate` (`only_options`: edge sees preflights only),
    or straight at the reference when `bare`. Reports go to tmp_path/r.
    """
    out, err = io.StringIO(), io.StringIO()
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}, dialect=dialect) as ref:
        if bare:
            code = _main(tmp_path, ref.endpoint, dialect, ref.region, cases, out, err)
        else:
            with EdgeProxy(ref.endpoint, edge or (lambda *a: None), mutate,
                           only_options=only_options) as proxy:
                code = _main(tmp_path, proxy.endpoint, dialect, ref.region, cases, out, err)
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    return code, out.getvalue() + err.getvalue(), results


def _main(tmp_path: Path, endpoint: str, dialect: str, region: str, cases: Sequence[Path],
          out: io.StringIO, err: io.StringIO) -> int:
    argv = ["run", *map(str, cases), "--endpoint", endpoint, "--dialect", dialect,
            "--region", region, "--expectations", str(tmp_path / "none.yaml"),
            "--reports", str(tmp_path / "r"), "-q"]
    return main(argv, stdout=out, stderr=err)
