"""Collects item records on the controlling process and writes results.json at the end.

A full record (exchange, every check, provisioned XML) is ~9 KB of Python objects; kept for
10,000 items that was the largest part of a run's memory. Each record is therefore written to
a temporary spool file as JSON the moment it arrives, and only a slim summary stays in memory
(and on the report, which pytest, pytest-html and junitxml keep until the session ends).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import IO, Any

import pytest

from .results import write_results


def summary(record: dict) -> dict:
    """The fields read after an item's report: terminal summary, --update-expectations, row.

    Only the checks that did not pass are kept (the terminal lists warnings, an expectation
    reason names failures), and the browser views only when a browser looked at the item.
    The provisioning is counted by the collector instead (`provisioning_calls`).
    """
    browser = record.get("browser")
    return {
        "nodeid": record["nodeid"], "case": record["case"], "outcome": record["outcome"],
        "classification": record["classification"], "impact": record["impact"],
        "error": record["error"], "skip_reason": record.get("skip_reason"),
        "known_deviation": record.get("known_deviation"),
        "checks": [c for c in record["checks"] if not c["ok"]],
        "browser": browser if browser and "observed_stage" in browser else None,
    }


class ResultsCollector:
    """A pytest plugin object: one per session, registered by conformance.plugin."""

    def __init__(self, config: pytest.Config, results_path: str | None) -> None:
        self.config = config
        self.results_path = results_path
        self.records: list[dict] = []  # summaries; the full records are in the spool
        self._spool: IO[bytes] | None = None
        self._items: list[tuple[str, int, int]] = []  # (nodeid, offset, length) in the spool
        self._calls: dict[str, tuple[int, int]] = {}  # applied_by -> its calls in the spool
        self.configurations: dict[str, list[str]] = {}  # provisioned XML -> its config keys
        self._applied: set[str] = set()  # every provisioning's applied_by
        self._keys: set[str] = set()  # every configuration's config_key
        self.propagations: list[dict] = []  # each provisioning's {"ms", "polls"}, once
        self.cited: set[str] = set()  # every spec reference of an item or a check (report.html)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Spool the record of a call report (local or from an xdist worker), keep a summary."""
        record = getattr(report, "conformance", None)
        if record is None or report.when != "call" or hasattr(self.config, "workerinput"):
            return  # an xdist worker sends the full record on; the controller keeps it
        self.cited.update(record.get("spec") or ())
        for check in record.get("checks") or ():
            self.cited.update(check.get("spec") or ())
        prov = record.get("provisioning") or {}
        calls = prov.pop("calls", None)  # once per provisioning, hoisted in results.json
        if prov:
            self._note(prov)
        if self.results_path:
            by = prov.get("applied_by")
            if calls is not None and by and by not in self._calls:
                self._calls[by] = self._put(calls)
            self._items.append((record["nodeid"], *self._put(record)))
        report.conformance = summary(record)  # reports live until the session ends
        self.records.append(report.conformance)

    def _note(self, prov: dict) -> None:
        """Count a provisioning, and keep its XML once for report.html."""
        self._keys.add(prov["config_key"])
        if prov.get("propagation") and prov["applied_by"] not in self._applied:
            self.propagations.append(prov["propagation"])
        if prov["applied_by"]:
            self._applied.add(prov["applied_by"])
        if prov["xml"]:
            keys = self.configurations.setdefault(prov["xml"], [])
            if prov["config_key"] not in keys:
                keys.append(prov["config_key"])

    def _put(self, value: Any) -> tuple[int, int]:
        """Append one JSON value to the spool; return where it is."""
        if self._spool is None:
            self._spool = tempfile.TemporaryFile()  # closed in pytest_unconfigure
        data = json.dumps(value, ensure_ascii=False).encode("utf-8")
        offset = self._spool.seek(0, 2)
        self._spool.write(data)
        return offset, len(data)

    def _get(self, where: tuple[int, int]) -> str:
        assert self._spool is not None
        self._spool.seek(where[0])
        return self._spool.read(where[1]).decode("utf-8")

    @property
    def provisioning_calls(self) -> int:
        """Configurations applied, summed over xdist workers (each record names its applier)."""
        return len(self._applied)

    @property
    def distinct_configurations(self) -> int:
        """Different configurations the items needed."""
        return len(self._keys)

    def write(self, target: dict, extra: dict[str, Any]) -> None:
        """Write results.json when asked for and there is something to write.

        Provisioning calls are written once, under "provisionings" keyed by the `applied_by`
        each item's provisioning names, not copied into every item of the configuration.
        """
        if not self.results_path or not self._items:
            return
        provisionings = ((by, self._get(where)) for by, where in self._calls.items())
        items = (self._get(where) for _, *where in sorted(self._items))  # by node id
        write_results(Path(self.results_path), self.records, target, self.config.rootpath,
                      extra, provisionings, items)

    def pytest_unconfigure(self) -> None:
        """Remove the spool (the temporary file is deleted when closed)."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None

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
