"""Collects item records on the controlling process and writes results.json at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .results import write_results


class ResultsCollector:
    """A pytest plugin object: one per session, registered by conformance.plugin."""

    def __init__(self, config: pytest.Config, results_path: str | None) -> None:
        self.config = config
        self.results_path = results_path
        self.records: list[dict] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the record that came with the call report (locally or from an xdist worker)."""
        record = getattr(report, "conformance", None)
        if record is not None and report.when == "call":
            self.records.append(record)

    @property
    def provisioning_calls(self) -> int:
        """Configurations applied, summed over xdist workers (each record names its applier)."""
        return len({r["provisioning"]["applied_by"] for r in self.records
                    if r["provisioning"] and r["provisioning"]["applied_by"]})

    def write(self, target: dict, extra: dict[str, Any]) -> dict | None:
        """Write results.json when asked for and there is something to write.

        Provisioning calls are written once, under "provisionings" keyed by the `applied_by`
        each item's provisioning names, not copied into every item of the configuration.
        """
        if not self.results_path or not self.records:
            return None
        provisionings: dict[str, list] = {}
        for record in self.records:
            prov = record.get("provisioning") or {}
            calls = prov.pop("calls", None)
            if calls is not None and prov.get("applied_by"):
                provisionings.setdefault(prov["applied_by"], calls)
        return write_results(Path(self.results_path), self.records, target,
                             self.config.rootpath, {**extra, "provisionings": provisionings})

    def classification_counts(self) -> dict[str, int]:
        """How many items fell in each class (pass, known/new deviation, unexpected pass)."""
        counts: dict[str, int] = {}
        for r in self.records:
            counts[r["classification"]] = counts.get(r["classification"], 0) + 1
        return dict(sorted(counts.items()))

    @property
    def warned(self) -> list[dict]:
        """Records whose only mismatches are should-level."""
        return [r for r in self.records if r["outcome"] == "warned"]
