"""`oss-conformance verify BUNDLE`: check a certificate bundle without trusting its author.

Checks, each failure one line: every file's sha256 is the one certificate.json gives and no
file is unaccounted for; the suite version is the installed one; the case set is the installed
corpus (same files, same digest, recomputed as results.json computes it); the profile's
definition is the installed one; and the verdict, counts and excused deviations follow from
results.json under that profile. Exit 0 verified, 1 a check failed, 2 unreadable input.

What this proves: the bundle is internally consistent and was produced by this suite's corpus
and rules. It does not prove who ran it against which endpoint; sign the .zip for that.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..errors import ConformanceError
from ..profiles import load_profile
from ..profiles.evaluate import evaluate
from ..status import ExitStatus
from ._bundle import (
    CERTIFICATE,
    REQUIRED,
    Bundle,
    BundleError,
    public_facts,
    read_bundle,
    sha256,
)
from ._corpus import corpus_mismatch, corpus_root


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("verify", help="check a certificate bundle: digests, corpus, verdict",
                       epilog="exit status:\n  0  every check holds\n  1  a check failed (one "
                       "line each)\n  2  the bundle cannot be read",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle", help="bundle folder or .zip written by `certify`")
    p.add_argument("--profile", help="profile file to check against, for a profile that is "
                                     "not shipped (default: the shipped one of that name)")
    p.add_argument("--corpus", help="folder holding cases/ (default: the suite's own)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Verify; 0 when every check holds, 1 when one fails, 2 for unreadable input."""
    try:
        bundle = read_bundle(Path(args.bundle))
        cert = bundle.json(CERTIFICATE)
        results = bundle.json("results.json")
    except BundleError as exc:
        print(f"oss-conformance: {exc}", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    try:
        failures = check(bundle, cert, results, args)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a shape not foreseen
        print(f"oss-conformance: {bundle.source}: malformed bundle: {type(exc).__name__}: "
              f"{str(exc)[:200]}", file=err)
        return ExitStatus.USAGE_OR_CASE_ERROR
    for line in failures:
        print(f"verify failed: {bundle.source}: {line}", file=err)
    if failures:
        return ExitStatus.CONFORMANCE_FAILURES
    print(f"verified: {bundle.source}: {cert['verdict']} under profile "
          f"{cert['profile']['name']} (suite {__version__}, case set "
          f"{str(cert['case_set_digest'])[:16]}…, {len(cert['files'])} file digests)", file=out)
    return ExitStatus.OK


def check(bundle: Bundle, cert: dict[str, Any], results: dict[str, Any],
          args: argparse.Namespace) -> list[str]:
    """Every failed check, one line each; empty when the bundle verifies."""
    shape = _shape(cert)
    if shape:
        return [shape]
    failures = _digests(bundle, cert["files"])
    if cert["suite"].get("version") != __version__:
        failures.append(f"made by suite version {cert['suite'].get('version')!r}; "
                        f"{__version__} is installed")
    failures += _corpus(cert, results, args)
    failures += _verdict(cert, results, args)
    return failures


def _shape(cert: dict[str, Any]) -> str | None:
    """Whether certificate.json has the fields the checks read."""
    kinds = {"files": dict, "suite": dict, "profile": dict, "verdict": str, "items": dict,
             "excused_deviations": list}
    for name, kind in kinds.items():
        if not isinstance(cert.get(name), kind):
            return f"certificate.json: {name}: missing or not a {kind.__name__}"
    if not isinstance(cert["profile"].get("name"), str):
        return "certificate.json: profile.name: missing or not a string"
    return None


def _digests(bundle: Bundle, listed: dict[str, Any]) -> list[str]:
    """Each listed file exists with its digest; every file is listed; none required lacks."""
    failures = []
    for name in sorted(set(listed) | set(bundle.files) - {CERTIFICATE}):
        if name not in listed:
            failures.append(f"{name}: not covered by a digest in certificate.json")
        elif name not in bundle.files:
            failures.append(f"{name}: listed in certificate.json but missing")
        elif sha256(bundle.files[name]) != listed[name]:
            failures.append(f"{name}: sha256 differs from certificate.json (file changed)")
    failures += [f"{name}: required file not in certificate.json" for name in REQUIRED
                 if name not in listed and name in bundle.files]
    failures += [f"{name}: required file missing" for name in REQUIRED
                 if name not in listed and name not in bundle.files]
    failures += [f"{name}: not part of a bundle" for name in bundle.unknown]
    return failures


def _corpus(cert: dict[str, Any], results: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The certificate, results.json and the installed corpus name the same case set."""
    recorded = results.get("case_set_digest")
    if cert.get("case_set_digest") != recorded:
        return ["certificate.json: case_set_digest differs from results.json's"]
    items = results.get("items")
    if not isinstance(items, list):
        return ["results.json: items: not a list"]
    named = [i.get("case") if isinstance(i, dict) else None for i in items]
    if not all(isinstance(c, str) for c in named):
        return ["results.json: an item has no case path"]
    try:
        mismatch = corpus_mismatch(corpus_root(getattr(args, "corpus", None)), set(named),
                                   recorded)
    except ConformanceError as exc:
        return [str(exc)]
    return [mismatch] if mismatch else []


def _verdict(cert: dict[str, Any], results: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The profile is the installed one and the certificate says what results.json implies."""
    name = cert["profile"]["name"]
    try:
        profile = load_profile(getattr(args, "profile", None) or name)
    except ConformanceError as exc:
        return [f"profile: {exc}"]
    if profile.digest != cert["profile"].get("sha256"):
        return [f"profile {name}: its definition differs from the one installed "
                f"({profile.source})"]
    try:
        expected = evaluate(results, profile).to_dict()
    except ConformanceError as exc:
        return [str(exc)]
    failures = [f"certificate.json: {key} is {_short(cert.get(key))}, results.json under "
                f"{name} gives {_short(value)}"
                for key, value in expected.items() if cert.get(key) != value]
    if cert.get("target") != public_facts(results.get("target")):
        failures.append("certificate.json: target differs from results.json's")
    return failures


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
