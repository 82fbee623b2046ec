"""2. Remote-latency runs (serial and -n 8) and 5. provisioning counts, from the same runs.

The issue's target for n workers against an endpoint answering in L ms is 1.3 x
    (unavoidable per-configuration round trips + items x L / n) = (4 + 2*G + P / n) * L
- G provisioning groups: each distinct configuration, plus each sequence case (its steps start
  on a bucket reset to no configuration). Each needs 2 round trips: PutBucketCors
  (DeleteBucketCors for `cors: null` and resets) and one GetBucketCors confirming it is in effect;
- P items, one preflight, actual request or configuration step each;
- 4 per worker: PutBucket and the fixture PutObject before, DeleteObject and DeleteBucket after.
  Workers do these at the same time, so they cost 4 round trips of wall time whatever n is.
A stricter bound, (4 + (2*G + P) / n) * L, also spreads the provisioning round trips over the
workers (each has its own bucket); it is printed beside the target for information. For a
serial run (n = 1) both are (4 + 2*G + P) * L. xdist worker start-up is counted: it is part of
what -n 8 costs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ._proc import REPO, BenchError, run_child
from .table import Figure, at_most, equal_to, info, phases

SECTION_LATENCY = "2. remote latency: reference with --latency-ms {ms}"
SECTION_PROVISION = "5. provisioning: Put/DeleteBucketCors calls vs what the corpus needs"
WORKERS = 8


@dataclass(frozen=True)
class Groups:
    """Provisioning groups of the corpus, counted from the case files."""

    configurations: int  # distinct configurations of non-sequence cases
    sequences: frozenset[str]  # case paths (as in results.json) of sequence cases

    @property
    def total(self) -> int:
        """Groups that each need at most one provisioning."""
        return self.configurations + len(self.sequences)


@dataclass(frozen=True)
class RunFacts:
    """What one run's results.json says about its shape."""

    items: int
    config_writes: int  # Put/DeleteBucketCors sent to provision a configuration
    reset_writes: int  # DeleteBucketCors sent to give a sequence a clean bucket
    workers: int


def corpus_groups(root: Path) -> Groups:
    """Distinct configurations and sequence cases among the oss-dialect case files."""
    from conformance.cases import CaseFileErrors, load_case
    from conformance.cases.model import config_key

    configs, sequences = set(), set()
    for path in sorted(root.rglob("*.y*ml")):
        try:
            case = load_case(path)
        except CaseFileErrors:
            continue  # metadata files under the root (UNCOVERED.yaml) are not cases
        if "oss" not in case.dialects or not case.preflights:
            continue
        if getattr(case, "sequence", False):
            sequences.add(path.relative_to(root.parent).as_posix())
        else:
            configs.add(config_key(case.cors))
    return Groups(len(configs), frozenset(sequences))


def facts(results_path: Path, groups: Groups) -> RunFacts:
    """Count items, provisioning writes (by purpose) and workers from results.json."""
    data = json.loads(results_path.read_text(encoding="utf-8"))
    provisionings: dict[str, tuple[str, dict]] = {}  # applied_by -> (case, provisioning)
    for r in data["items"]:
        if (p := r.get("provisioning")) and p.get("applied_by"):
            provisionings.setdefault(p["applied_by"], (r["case"], p))

    def writes(p: dict) -> int:
        calls = data["provisionings"][p["applied_by"]]
        return sum(1 for c in calls if c["request"]["method"] in ("PUT", "DELETE")
                   and "?cors" in c["request"]["url"])

    resets = sum(writes(p) for case, p in provisionings.values() if case in groups.sequences)
    total = sum(writes(p) for _, p in provisionings.values())
    return RunFacts(items=len(data["items"]), config_writes=total - resets, reset_writes=resets,
                    workers=len({k.partition("#")[0] for k in provisionings}))


def ideal_seconds(groups: Groups, items: int, workers: int, latency_ms: int) -> float:
    """The issue's round-trip floor (module docstring), in seconds."""
    return (4 + 2 * groups.total + items / workers) * latency_ms / 1000


def strict_ideal_seconds(groups: Groups, items: int, workers: int, latency_ms: int) -> float:
    """The stricter floor, provisioning round trips spread over the workers too."""
    return (4 + (2 * groups.total + items) / workers) * latency_ms / 1000


def _best_run(tmp: Path, name: str, reps: int, args: list[str],
              groups: Groups) -> tuple[dict, RunFacts]:
    best = None
    for i in range(reps):
        reports = tmp / f"{name}-{i}"
        run = run_child("corpus", {"paths": [str(REPO / "cases")], "reports": str(reports),
                                   "args": args}, timeout=600)
        if run["exit"] != 0:
            raise BenchError(f"{name} exited {run['exit']}: {run['tail']}")
        if best is None or run["seconds"] < best[0]["seconds"]:
            best = (run, facts(reports / "results.json", groups))
    assert best is not None
    return best


def measure(tmp: Path, reps: int, latency_ms: int) -> tuple[list[Figure], list[Figure]]:
    """Serial and -n 8 runs at `latency_ms`: (latency figures, provisioning figures).

    Phase rows show where the time goes; CPU time (all processes) against wall time x cores
    shows when the machine, not the endpoint, is the bottleneck.
    """
    lat = ["--latency-ms", str(latency_ms)]
    xdist = ["-n", str(WORKERS)]  # the CLI adds --dist loadgroup
    groups = corpus_groups(REPO / "cases")
    serial, sf = _best_run(tmp, "serial", reps, lat, groups)
    parallel, pf = _best_run(tmp, "parallel", reps, lat + xdist, groups)
    section = SECTION_LATENCY.format(ms=latency_ms)
    cores = len(os.sched_getaffinity(0))
    shape = (f"G={groups.total} provisioning groups, P={sf.items} items; ideal = "
             f"(4 + 2G + P/n) x {latency_ms} ms, the issue's formula")
    ideal_1 = ideal_seconds(groups, sf.items, 1, latency_ms)
    ideal_n = ideal_seconds(groups, pf.items, WORKERS, latency_ms)
    strict_n = strict_ideal_seconds(groups, pf.items, WORKERS, latency_ms)
    latency_figures = [
        info(section, "serial: ideal round-trip time", ideal_1, " s", note=shape),
        at_most(section, "serial: measured", serial["seconds"], 1.3 * ideal_1, " s"),
        *phases(section, "of which", serial["phases"]),
        info(section, f"-n {WORKERS}: ideal round-trip time", ideal_n, " s"),
        at_most(section, f"-n {WORKERS} --dist loadgroup: measured", parallel["seconds"],
                1.3 * ideal_n, " s", note=f"{pf.workers} workers provisioned a bucket"),
        info(section, f"-n {WORKERS}: measured / stricter ideal (4 + (2G+P)/n) x L",
             parallel["seconds"] / strict_n, "x",
             note=f"stricter ideal {strict_n:.2f} s: provisioning spread over the workers too"),
        *phases(section, "of which", parallel["phases"]),
        info(section, f"-n {WORKERS}: CPU time of all processes", parallel["cpu_seconds"], " s",
             note=f"{cores} cores could give {cores * parallel['seconds']:.1f} CPU-s in that "
                  "wall time"),
    ]
    seq = len(groups.sequences)
    provision = [
        info(SECTION_PROVISION, "distinct configurations in cases/ (from the files)",
             groups.configurations),
        info(SECTION_PROVISION, "sequence cases (from the files)", seq),
    ]
    for label, f in (("serial", sf), (f"-n {WORKERS}", pf)):
        provision += [
            equal_to(SECTION_PROVISION, f"{label}: Put/DeleteBucketCors for configurations",
                     f.config_writes, groups.configurations),
            at_most(SECTION_PROVISION, f"{label}: DeleteBucketCors resets before sequences",
                    f.reset_writes, seq, "", note="" if label != "serial" else
                    "a sequence changes the configuration itself, so it starts from a reset "
                    "bucket unless the bucket already has no configuration"),
        ]
    return latency_figures, provision
