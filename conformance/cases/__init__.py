"""Case files: YAML loading with line marks, schema validation, and the typed model."""

from .loader import CaseFileErrors, load_case, parse_case
from .model import Case, Check, CorsConfig, CorsRule, Preflight, ProbeRequest

__all__ = [
    "Case", "CaseFileErrors", "Check", "CorsConfig", "CorsRule", "Preflight", "ProbeRequest",
    "load_case", "parse_case",
]
