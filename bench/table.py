"""Figures and the printed table: each measured value beside its target."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    """One line of the table. `ok` is None for context figures that carry no target."""

    section: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    ok: bool | None = None
    note: str = ""

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def at_most(section: str, name: str, value: float, limit: float, unit: str,
            note: str = "") -> Figure:
    """A figure whose target is an upper bound."""
    return Figure(section, name, value, unit, f"<= {_num(limit)}{unit}", value <= limit, note)


def at_least(section: str, name: str, value: float, limit: float, unit: str,
             note: str = "") -> Figure:
    """A figure whose target is a lower bound."""
    return Figure(section, name, value, unit, f">= {_num(limit)}{unit}", value >= limit, note)


def equal_to(section: str, name: str, value: float, wanted: float, note: str = "") -> Figure:
    """A count that must equal another count."""
    return Figure(section, name, value, "", f"= {_num(wanted)}", value == wanted, note)


def info(section: str, name: str, value: float | None, unit: str = "", note: str = "") -> Figure:
    """A context figure: measured and shown, judged by no target."""
    return Figure(section, name, value, unit, "", None, note)


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    if float(value).is_integer() and abs(value) >= 10 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"


def render(figures: list[Figure], title: str) -> str:
    """The table as text, grouped by section."""
    rows = [("figure", "value", "target", "verdict")]
    sections: list[int] = []
    notes: list[str] = []
    last = None
    for f in figures:
        if f.section != last:
            sections.append(len(rows))
            rows.append((f.section, "", "", ""))
            last = f.section
        verdict = "" if f.ok is None else ("met" if f.ok else "MISSED")
        mark = ""
        if f.note:
            notes.append(f"[{len(notes) + 1}] {f.note}")
            mark = f" [{len(notes)}]"
        rows.append((f"  {f.name}{mark}", f"{_num(f.value)}{f.unit}", f.target, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [title, ""]
    for i, row in enumerate(rows):
        if i in sections and i > 1:
            lines.append("")
        lines.append("  ".join(c.ljust(w) if n != 1 else c.rjust(w)
                               for n, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines + ([""] + notes if notes else []))


def phases(section: str, label: str, seconds: dict[str, float]) -> list[Figure]:
    """Context rows splitting one run's wall time (see bench/_timeline.py)."""
    names = {"collect": "start-up + collection", "items": "items (provision, probe, check)",
             "finish": "reports + cleanup"}
    return [info(section, f"  {label}: {names[k]}", v, " s") for k, v in seconds.items()]
