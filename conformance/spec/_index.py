"""The clause indexes: oss_clauses.yaml (OSS-<n>) and s3_clauses.yaml (S3-<n>), shipped as data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..cases.model import Level

EVIDENCE: tuple[str, ...] = ("doc", "obs", "unc")
LEVELS: tuple[Level, ...] = ("must", "should", "may")  # strongest first
# Each index: its file, the prefix of its ids, and the fields an entry needs beyond the common ones.
INDEXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "OSS": ("oss_clauses.yaml", ()),
    "S3": ("s3_clauses.yaml", ("source",)),  # every S3 fact names where it is stated or recorded
}
_COMMON = ("id", "section", "evidence", "observable", "summary")
_OPTIONAL = {"note", "source"}


@dataclass(frozen=True)
class Clause:
    """One clause of an index (OSS reference or S3 evidence) as the coverage report needs it."""

    id: str
    section: str  # OSS: "0" … "6", "5b"; S3: the operation (options, put, …)
    summary: str
    evidence: str  # doc | obs | unc: the strongest evidence for the main assertion
    level: Level  # the strongest level a case may assert for this evidence
    observable: bool  # False: no CORS case can assert it on the wire (signing, SDK usage, notes)
    note: str = ""  # mixed evidence, or why the clause is not observable
    source: str = ""  # S3: the AWS page and its words, or the recorded snapshot key

    @property
    def prefix(self) -> str:
        """The index the clause belongs to: 'OSS' or 'S3'."""
        return self.id.split("-", 1)[0]

    @property
    def number(self) -> int:
        """The clause number, for numeric ordering (OSS-9 before OSS-10)."""
        return int(self.id.split("-", 1)[1])


def stronger(a: Level, b: Level) -> bool:
    """Whether level `a` asks more than level `b` (must > should > may)."""
    return LEVELS.index(a) < LEVELS.index(b)


@cache
def _shipped(prefix: str) -> tuple[dict[str, Clause], dict[str, Level]]:
    name = INDEXES[prefix][0]
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return parse_index(text, prefix)


def clauses() -> dict[str, Clause]:
    """Every shipped clause by id: the OSS index in numeric order, then the S3 index."""
    return {cid: c for prefix in INDEXES for cid, c in _shipped(prefix)[0].items()}


def level_by_evidence() -> dict[str, Level]:
    """The `levels` table of the shipped indexes: doc → must, obs → should, unc → may."""
    return dict(_shipped("OSS")[1])


def parse_index(text: str, prefix: str = "OSS") -> tuple[dict[str, Clause], dict[str, Level]]:
    """Clauses (numeric order) and the levels table of one index file; ValueError if malformed."""
    name, extra = INDEXES[prefix]
    entries, levels = _load(text, name)
    required = {*_COMMON, *extra}
    pattern = re.compile(rf"{prefix}-([1-9][0-9]*)")
    out: dict[str, Clause] = {}
    for i, raw in enumerate(entries):
        where = f"{name} clauses[{i}]"
        if not isinstance(raw, dict) or not required <= set(raw) <= required | _OPTIONAL:
            raise ValueError(f"{where}: needs exactly {', '.join(sorted(required))} and an "
                             f"optional {' or '.join(sorted(_OPTIONAL - required))}")
        cid = str(raw["id"])
        if not pattern.fullmatch(cid) or cid in out:
            raise ValueError(f"{where}: {cid!r} is not a new clause id such as {prefix}-21")
        if raw["evidence"] not in levels or not isinstance(raw["observable"], bool):
            raise ValueError(f"{where}: evidence must be one of {', '.join(EVIDENCE)} "
                             f"and observable true or false")
        out[cid] = Clause(id=cid, section=str(raw["section"]), summary=str(raw["summary"]),
                          evidence=raw["evidence"], level=levels[raw["evidence"]],
                          observable=raw["observable"], note=str(raw.get("note", "")),
                          source=str(raw.get("source", "")))
    return dict(sorted(out.items(), key=lambda kv: kv[1].number)), levels


def _load(text: str, name: str) -> tuple[list[Any], dict[str, Level]]:
    # libyaml when present: 5 ms instead of 110 for the OSS index (report.html loads both)
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict) or not isinstance(data.get("clauses"), list):
        raise ValueError(f"{name}: needs a `clauses` list")
    levels = data.get("levels")
    if not isinstance(levels, dict) or set(levels) != set(EVIDENCE) or not set(
            levels.values()) <= set(LEVELS):
        raise ValueError(f"{name}: `levels` must map doc, obs and unc to must|should|may")
    return data["clauses"], levels
