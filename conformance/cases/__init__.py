"""Case files: YAML loading with line marks, schema validation, and the typed model."""

from .discover import case_files, is_case_file
from .loader import CaseFileErrors, load_case, parse_case
from .model import Case, Check, CorsConfig, CorsRule, Preflight, ProbeRequest

__all__ = [
    "case_files", "is_case_file",
    "Case", "CaseFileErrors", "Check", "CorsConfig", "CorsRule", "Preflight", "ProbeRequest",
    "load_case", "parse_case",
]
