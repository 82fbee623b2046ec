"""Load case files: parse with line marks, validate against the schema, build the model."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path as FsPath
from typing import Any

from ..errors import CaseFormatError
from ._limits import MAX_ERRORS
from ._source import read_source
from ._tables import expand_tables, has_tables
from ._validate import regex_errors, schema_errors
from ._yaml import Path, format_path, line_of, load_with_lines
from .model import (
    DEFAULT_PATH,
    DIALECTS,
    Absent,
    Case,
    Check,
    CorsConfig,
    CorsRule,
    Exact,
    Matcher,
    Preflight,
    Present,
    ProbeRequest,
    PutCors,
    Regex,
    Signing,
    Tokens,
    render_config,
)


class CaseFileErrors(Exception):
    """All problems of one case file; each renders as one line."""

    def __init__(self, errors: list[CaseFormatError]) -> None:
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def load_case(path: FsPath, display: str | None = None) -> Case:
    """Load and validate one case file; raise CaseFileErrors listing every problem."""
    file = display or path.as_posix()
    try:
        text = read_source(path, file)  # a regular file, bounded, UTF-8: else file:line
    except CaseFormatError as exc:
        raise CaseFileErrors([exc]) from None
    return parse_case(text, file)


def parse_case(text: str, file: str) -> Case:
    """Validate YAML text as a case file and build the model."""
    with _gc_paused():
        return _build_case(*_validated(text, file), file)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while one file is parsed.

    A file's YAML node tree (a few hundred objects) is garbage as soon as the model is built,
    and reference counting frees it then. With the collector running, each tree is scanned
    and promoted to older generations first, which makes full collections of every item
    collected so far more frequent: a third of the loading time over 10,000 files.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _validated(text: str, file: str) -> tuple[dict, Mapping[Path, int]]:
    try:
        data, lines = load_with_lines(text, file)
    except CaseFormatError as exc:
        raise CaseFileErrors([exc]) from None
    errors = schema_errors(data, lines, file) if isinstance(data, dict) else [
        CaseFormatError("a case file must be a mapping with title, spec, cors and preflights",
                        file=file, line=1)
    ]
    if not errors and has_tables(data):  # rows become plain preflights, validated as such
        errors = expand_tables(data, lines, file) or schema_errors(data, lines, file)
    if not errors:
        errors = _semantic_errors(data, lines, file)
    if len(errors) > MAX_ERRORS + 1:  # schema_errors stops there; table and semantic ones not
        errors = [*errors[:MAX_ERRORS], CaseFormatError(
            f"more problems not shown: at most {MAX_ERRORS} a file (MAX_ERRORS)", file=file,
            line=errors[MAX_ERRORS - 1].line or 1)]
    if errors:
        raise CaseFileErrors(errors)
    return data, lines


def _semantic_errors(data: dict, lines: Mapping[Path, int], file: str) -> list[CaseFormatError]:
    """What the schema cannot say: unique names, compilable regexes, raw vs built headers."""
    errors: list[CaseFormatError] = []

    def add(message: str, path: Path) -> None:
        errors.append(CaseFormatError(message, file=file, line=line_of(path, lines),
                                      pointer=format_path(path)))

    kind = "steps" if "steps" in data else "preflights"
    seen: dict[str, int] = {}
    for i, pf in enumerate(data[kind]):
        if pf["name"] in seen:
            add(f"name {pf['name']!r} is already used by {kind}[{seen[pf['name']]}]",
                (kind, i, "name"))
        seen.setdefault(pf["name"], i)
        req = pf.get("request", {})
        built = [k for k in ("origin", "request_method", "request_headers") if k in req]
        if "upload" in req and "sign" not in req:
            add("upload needs sign: the upload is started with the target's credentials",
                (kind, i, "request", "upload"))
        if "raw_headers" in req and built:
            add(f"raw_headers replaces {', '.join(built)}; put those lines in raw_headers",
                (kind, i, "request", built[0]))
        for where, expect in _expects(pf):
            for group in ("headers", "error"):
                for name, matcher in expect.get(group, {}).items():
                    if isinstance(matcher, dict) and "regex" in matcher:
                        problem = regex_errors(matcher["regex"])
                        if problem:
                            add(problem, (kind, i, *where, group, name, "regex"))
    return errors


def _expects(pf: dict) -> list[tuple[tuple, dict]]:
    out = [(("expect",), pf["expect"])]
    out += [(("variants", d), e) for d, e in pf.get("variants", {}).items()]
    return out


def _build_case(data: dict, lines: Mapping[Path, int], file: str) -> Case:
    spec = tuple(data["spec"])
    level = data.get("level", "must")
    kind = "steps" if "steps" in data else "preflights"
    preflights = tuple(
        _build_preflight(pf, lines.get((kind, i), 1), spec, level, DIALECTS)
        for i, pf in enumerate(data[kind])
    )
    cors = _build_config(data.get("cors"))
    inapplicable = _case_inapplicable(data, cors)
    return Case(
        path=file, title=data["title"], spec=spec,
        dialects=tuple(d for d in DIALECTS if d not in dict(inapplicable)),
        cors=cors, preflights=preflights, line=1, sequence=kind == "steps",
        inapplicable=inapplicable,
    )


def _case_inapplicable(data: dict, cors: CorsConfig | None) -> tuple[tuple[str, str], ...]:
    """(dialect, why) for each dialect the whole case cannot run in.

    Stated reasons come first; a configuration with ResponseVary has no S3 form, and the
    deprecated `dialects:` list still excludes a dialect, with a reason saying so.
    """
    reasons = dict(data.get("inapplicable", {}))
    if cors is not None and cors.response_vary is not None:
        reasons.setdefault("s3", "the configuration sets ResponseVary, an OSS element that "
                                 "S3 has no form of")
    if "dialects" in data:
        listed = ", ".join(data["dialects"])
        for dialect in DIALECTS:
            if dialect not in data["dialects"]:
                reasons.setdefault(dialect, f"the case lists dialects: [{listed}] "
                                            "(no reason given)")
    return tuple((d, reasons[d]) for d in DIALECTS if d in reasons)


def build_config(raw: dict | None) -> CorsConfig | None:
    """A validated corsConfiguration mapping as the model (None for no configuration)."""
    return _build_config(raw)


def _build_config(raw: dict | None) -> CorsConfig | None:
    if raw is None:
        return None
    rules = tuple(
        CorsRule(
            allowed_origins=tuple(r["allowed_origins"]),
            allowed_methods=tuple(r["allowed_methods"]),
            allowed_headers=tuple(r.get("allowed_headers", ())),
            expose_headers=tuple(r.get("expose_headers", ())),
            max_age_seconds=r.get("max_age_seconds"),
            id=r.get("id"),
        )
        for r in raw["rules"]
    )
    return CorsConfig(rules=rules, response_vary=raw.get("response_vary"))


def _build_preflight(
    pf: dict, line: int, case_spec: tuple[str, ...], case_level: str, dialects: tuple[str, ...]
) -> Preflight:
    spec = tuple(dict.fromkeys(case_spec + tuple(pf["spec"]))) if "spec" in pf else case_spec
    level = pf.get("level", case_level)
    variants = pf.get("variants", {})
    plain: tuple[Check, ...] | None = None  # dialects without a variant share one tuple
    checks: dict[str, tuple[Check, ...]] = {}
    for d in dialects:
        if variants.get(d):
            checks[d] = _build_checks(_merge(pf["expect"], variants[d]), level, spec)
        else:
            plain = plain or _build_checks(pf["expect"], level, spec)
            checks[d] = plain
    action = next((a for a in ("put_cors", "get_cors", "delete_cors") if a in pf), "probe")
    put = _build_put(pf["put_cors"]) if action == "put_cors" else None
    request = _build_request(pf.get("request", {}))
    return Preflight(name=pf["name"], line=line, request=request,
                     checks=checks, spec=spec, action=action, put=put,
                     bucket=pf.get("bucket", "provisioned"),
                     inapplicable=tuple(pf.get("inapplicable", {}).items())
                     + _unsigned_in(request.sign))


# A signature scheme only one dialect has: the item is skipped in the other.
_SCHEME_OF = {"v1": ("s3", "OSS V1 signatures have no S3 form"),
              "v2": ("oss", "S3 SigV2 signatures have no OSS form")}


def _unsigned_in(sign: Signing | None) -> tuple[tuple[str, str], ...]:
    if sign is None:
        return ()
    skip = _SCHEME_OF.get(sign.version)
    return (skip,) if skip else ()


def _build_signing(raw: dict | None) -> Signing | None:
    if raw is None:
        return None
    return Signing(where=raw.get("as", "header"), version=raw.get("version", "v4"),
                   expires=raw.get("expires", 900), expired=raw.get("expired", False),
                   wrong_secret=raw.get("wrong_secret", False), acl=raw.get("acl"),
                   copy_from=raw.get("copy_from"),
                   headers=tuple((raw.get("headers") or {}).items()))


def _build_put(raw: dict) -> PutCors:
    if "raw_body" not in raw:
        return PutCors(config=_build_config(raw))
    return PutCors(raw_body=raw["raw_body"], pad_to_bytes=raw.get("pad_to_bytes"),
                   content_md5=raw.get("content_md5", "auto"),
                   content_type=raw.get("content_type"))


def _merge(expect: dict, variant: dict | None) -> dict:
    """A variant's keys replace the default's; its headers merge by (case-insensitive) name."""
    if not variant:
        return expect
    merged = {**expect, **variant}
    if "headers" in variant and "headers" in expect:
        override = {k.lower() for k in variant["headers"]}
        kept = {k: v for k, v in expect["headers"].items() if k.lower() not in override}
        merged["headers"] = {**kept, **variant["headers"]}
    return merged


def _build_request(raw: dict) -> ProbeRequest:
    headers = raw.get("request_headers")
    if isinstance(headers, list):
        headers = ",".join(headers)
    raw_headers = raw.get("raw_headers")
    return ProbeRequest(
        method=raw.get("method", "OPTIONS"),
        path=raw.get("path", DEFAULT_PATH),
        bucket=raw.get("bucket", "provisioned"),
        origin=raw.get("origin"),
        request_method=raw.get("request_method"),
        request_headers=headers,
        credentials=raw.get("credentials", False),
        raw_headers=None if raw_headers is None else tuple((n, v) for n, v in raw_headers),
        body=raw.get("body"),
        content_type=raw.get("content_type"),
        sign=_build_signing(raw.get("sign")),
        upload=raw.get("upload"),
    )


def _build_checks(expect: dict, level: str, spec: tuple[str, ...]) -> tuple[Check, ...]:
    checks: list[Check] = []
    for subject in ("status", "error_code", "error_message", "browser"):
        if subject in expect:
            raw = expect[subject]
            if isinstance(raw, dict):
                checks.append(_check(subject, "exact", raw["equals"], raw.get("level", level),
                                     tuple(raw.get("spec", spec))))
            else:
                checks.append(_check(subject, "exact", raw, level, spec))
    if "cors" in expect:
        raw = expect["cors"]
        if isinstance(raw, dict) and "equals" in raw:  # the object form: its own level, spec
            config, lv, sp = raw["equals"], raw.get("level", level), tuple(raw.get("spec", spec))
        else:
            config, lv, sp = raw, level, spec
        checks.append(Check("cors", Exact(render_config(_build_config(config))), lv, sp))
    for group in ("headers", "error"):
        prefix = "header:" if group == "headers" else "error:"
        for name, raw in expect.get(group, {}).items():
            checks.append(_header_check(prefix + name, raw, level, spec))
    return tuple(checks)


def _header_check(subject: str, raw: Any, level: str, spec: tuple[str, ...]) -> Check:
    if isinstance(raw, str):  # the shorthands absent / present, or an exact value
        return _check(subject, raw if raw in ("absent", "present") else "exact", raw, level, spec)
    lv, sp = raw.get("level", level), tuple(raw.get("spec", spec))
    if "exact" in raw:
        return _check(subject, "exact", raw["exact"], lv, sp)
    if "tokens" in raw:
        return _check(subject, "tokens", (tuple(raw["tokens"]), bool(raw.get("ordered", False))),
                      lv, sp)
    if "regex" in raw:
        return _check(subject, "regex", raw["regex"], lv, sp)
    return _check(subject, "absent" if "absent" in raw else "present", None, lv, sp)


# Checks are immutable and repeat across preflights and files (every "header absent" of a
# corpus is one of a few dozen), so equal ones are one object: 57k collected items otherwise
# hold ~20 small objects each, and the garbage collector walks every one of them many times.
# typed: 1 and True (or 1.0) must stay different values.
@lru_cache(maxsize=8192, typed=True)
def _check(subject: str, kind: str, value: Any, level: str, spec: tuple[str, ...]) -> Check:
    return Check(subject, _matcher(kind, value), level, spec)  # type: ignore[arg-type]


def _matcher(kind: str, value: Any) -> Matcher:
    if kind == "exact":
        return Exact(value)
    if kind == "tokens":
        return Tokens(*value)
    if kind == "regex":
        return Regex(value)
    return _ABSENT if kind == "absent" else _PRESENT


_ABSENT, _PRESENT = Absent(), Present()


__all__ = ["CaseFileErrors", "load_case", "parse_case", "DEFAULT_PATH"]
