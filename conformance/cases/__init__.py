"""Case files: YAML loading with line marks, schema validation, and the typed model."""

from .loader import CaseFileErrors, load_case, parse_case
from .model import Case, Check, CorsConfig, CorsRule, Preflight, ProbeRequest


def is_case_file(name: str) -> bool:
    """*.yaml / *.yml whose stem is not ALL-CAPS (UNCOVERED.yaml and the like are metadata)."""
    stem, dot, suffix = name.rpartition(".")
    metadata = any(c.isalpha() for c in stem) and stem == stem.upper()
    return bool(dot) and suffix in ("yaml", "yml") and not metadata


__all__ = [
    "is_case_file",
    "Case", "CaseFileErrors", "Check", "CorsConfig", "CorsRule", "Preflight", "ProbeRequest",
    "load_case", "parse_case",
]
