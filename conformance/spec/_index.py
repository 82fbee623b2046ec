"""The clause index: oss_clauses.yaml, one entry per clause of the OSS CORS reference."""

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
_ID = re.compile(r"OSS-([1-9][0-9]*)")
_FIELDS = {"id", "section", "evidence", "observable", "summary", "note"}


@dataclass(frozen=True)
class Clause:
    """One clause of shared/reference/oss-cors.md as the coverage report needs it."""

    id: str
    section: str  # "0" … "6", "5b"
    summary: str
    evidence: str  # doc | obs | unc: the strongest evidence for the main assertion
    level: Level  # the strongest level a case may assert for this evidence
    observable: bool  # False: no CORS case can assert it on the wire (signing, SDK usage, notes)
    note: str = ""  # mixed evidence, or why the clause is not observable

    @property
    def number(self) -> int:
        """The clause number, for numeric ordering (OSS-9 before OSS-10)."""
        return int(self.id[len("OSS-"):])


def stronger(a: Level, b: Level) -> bool:
    """Whether level `a` asks more than level `b` (must > should > may)."""
    return LEVELS.index(a) < LEVELS.index(b)


@cache
def _shipped() -> tuple[dict[str, Clause], dict[str, Level]]:
    text = resources.files(__package__).joinpath("oss_clauses.yaml").read_text(encoding="utf-8")
    return parse_index(text)


def clauses() -> dict[str, Clause]:
    """The shipped clause index, by id, in numeric order."""
    return dict(_shipped()[0])


def level_by_evidence() -> dict[str, Level]:
    """The `levels` table of the shipped index: doc → must, obs → should, unc → may."""
    return dict(_shipped()[1])


def parse_index(text: str) -> tuple[dict[str, Clause], dict[str, Level]]:
    """Clauses (numeric order) and the levels table of oss_clauses.yaml; ValueError if malformed."""
    entries, levels = _load(text)
    out: dict[str, Clause] = {}
    for i, raw in enumerate(entries):
        where = f"oss_clauses.yaml clauses[{i}]"
        if not isinstance(raw, dict) or not {"id", "section", "evidence", "observable",
                                             "summary"} <= set(raw) <= _FIELDS:
            raise ValueError(f"{where}: needs exactly id, section, evidence, observable, "
                             f"summary and an optional note")
        cid = str(raw["id"])
        if not _ID.fullmatch(cid) or cid in out:
            raise ValueError(f"{where}: {cid!r} is not a new clause id such as OSS-21")
        if raw["evidence"] not in levels or not isinstance(raw["observable"], bool):
            raise ValueError(f"{where}: evidence must be one of {', '.join(EVIDENCE)} "
                             f"and observable true or false")
        out[cid] = Clause(id=cid, section=str(raw["section"]), summary=str(raw["summary"]),
                          evidence=raw["evidence"], level=levels[raw["evidence"]],
                          observable=raw["observable"], note=str(raw.get("note", "")))
    return dict(sorted(out.items(), key=lambda kv: kv[1].number)), levels


def _load(text: str) -> tuple[list[Any], dict[str, Level]]:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("clauses"), list):
        raise ValueError("oss_clauses.yaml: needs a `clauses` list")
    levels = data.get("levels")
    if not isinstance(levels, dict) or set(levels) != set(EVIDENCE) or not set(
            levels.values()) <= set(LEVELS):
        raise ValueError("oss_clauses.yaml: `levels` must map doc, obs and unc to must|should|may")
    return data["clauses"], levels
