"""Certification profiles, shipped as data: which items a certificate counts, and its rule.

A profile is a small YAML file (conformance/profiles/<name>.yaml, schema in
profile.schema.json). `certify --profile NAME` takes a shipped one; a path takes any file. The
sha256 of the file's bytes is the profile's digest: a certificate names it, and `verify`
refuses a certificate whose profile definition differs from the one it checks against.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..cases._yaml import format_path, line_of, load_with_lines
from ..errors import CaseFormatError, ConformanceError

MAX_PROFILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Profile:
    """A parsed profile: what it counts and how an item and the whole run pass."""

    name: str
    title: str
    description: str
    dialects: tuple[str, ...]
    levels: tuple[str, ...]
    kinds: tuple[str, ...]
    browser_verdict: str  # "expected": only items stating a browser verdict; "any"
    item_passes_when: str  # "checks-pass" | "no-browser-visible-deviation"
    skipped: str  # "fail" | "ignore"
    min_items: int
    reported_levels: tuple[str, ...]
    digest: str  # sha256 of the definition's bytes
    source: str  # where it was read from, for messages

    def summary(self) -> dict[str, Any]:
        """The profile as a certificate names it."""
        return {"name": self.name, "title": self.title, "sha256": self.digest,
                "counts": {"dialects": list(self.dialects), "levels": list(self.levels),
                           "kinds": list(self.kinds), "browser_verdict": self.browser_verdict},
                "rule": {"item_passes_when": self.item_passes_when, "skipped": self.skipped,
                         "min_items": self.min_items}}


def shipped_profiles() -> list[str]:
    """Names of the profiles that ship with the package."""
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def load_profile(name_or_path: str) -> Profile:
    """A shipped profile by name, or a profile file by path; one-line errors otherwise."""
    if name_or_path in shipped_profiles():
        data = resources.files(__name__).joinpath(f"{name_or_path}.yaml").read_bytes()
        return parse_profile(data, f"conformance/profiles/{name_or_path}.yaml")
    path = Path(name_or_path)
    if not path.suffix or not path.is_file():
        raise ConformanceError(f"unknown profile {name_or_path!r}: use one of "
                               f"{', '.join(shipped_profiles())}, or the path of a profile file")
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise ConformanceError(f"{path}: a profile is at most {MAX_PROFILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise ConformanceError(f"cannot read {path}: {exc.strerror}") from None
    return parse_profile(data, str(path))


def parse_profile(data: bytes, source: str) -> Profile:
    """Parse and validate a profile definition; errors name source:line: field."""
    try:
        doc, lines = load_with_lines(data.decode("utf-8"), source)
    except UnicodeDecodeError:
        raise ConformanceError(f"{source}: not UTF-8 text") from None
    except CaseFormatError as exc:
        raise ConformanceError(str(exc)) from None
    problem = _first_schema_error(doc, lines, source)
    if problem:
        raise ConformanceError(problem)
    counts, rule = doc["counts"], doc["rule"]
    return Profile(
        name=doc["profile"], title=doc["title"], description=doc.get("description", ""),
        dialects=tuple(counts["dialects"]), levels=tuple(counts["levels"]),
        kinds=tuple(counts["kinds"]), browser_verdict=counts.get("browser_verdict", "any"),
        item_passes_when=rule["item_passes_when"], skipped=rule.get("skipped", "fail"),
        min_items=rule.get("min_items", 1),
        reported_levels=tuple(doc.get("reported_levels", [])),
        digest=hashlib.sha256(data).hexdigest(), source=source)


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    text = resources.files(__name__).joinpath("profile.schema.json").read_text()
    return Draft202012Validator(json.loads(text))


def _first_schema_error(doc: Any, lines: Any, source: str) -> str | None:
    """The first schema violation, in line order, as `source:line: field: problem`."""
    errors = list(_validator().iter_errors(doc))
    if not errors:
        return None
    found = []
    for err in errors:
        path = tuple(err.absolute_path)
        where = line_of(path, lines)
        field = format_path(path) or "(top level)"
        message = err.message[:200]  # a top-level message can quote the whole document
        found.append((where or 0, f"{source}:{where}: {field}: {message}" if where
                      else f"{source}: {field}: {message}"))
    return sorted(found)[0][1]


__all__ = ["Profile", "load_profile", "parse_profile", "shipped_profiles"]
