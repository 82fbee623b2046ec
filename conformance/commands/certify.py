"""`oss-conformance certify`: run the corpus under a profile and write a verifiable bundle.

The bundle is a folder and a .zip of it: report.html, results.json and junit.xml from the run
(the run command's own code path, in-process), certificate.json, certificate.html, badge.svg,
and the known-deviations file when one excused items. certificate.json carries the sha256 of
every other file; `oss-conformance verify` checks them and recomputes the verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..errors import ConformanceError
from ..profiles import Profile, load_profile, shipped_profiles
from ..profiles.evaluate import Evaluation, evaluate
from ..status import ExitStatus
from ._bundle import CERTIFICATE, KNOWN, parse_json, public_facts, sha256
from ._corpus import corpus_root
from ._render import badge_svg, certificate_html

CERTIFICATE_VERSION = 1
SUITE_NAME = "oss-cors-conformance"
EPILOG = """examples:
  oss-conformance certify --profile oss-strict                  # the embedded OSS reference
  oss-conformance certify --target rgw --profile s3-strict --expectations expectations/ceph-rgw.yaml
  oss-conformance verify certification.zip                      # anyone can check the bundle
exit status:
  0  certified (possibly with deviations the expectations file excuses)
  1  not certified (the bundle is still written: it says why)
  2  usage error, a bad profile, or case files that do not validate
  3  the target cannot be used, or a restore of an existing bucket failed
  130 interrupted"""


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    p = sub.add_parser("certify", help="run the corpus under a profile and write a verifiable "
                                       "certificate bundle (folder and .zip)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", required=True,
                   help=f"{', '.join(shipped_profiles())}, or the path of a profile file")
    p.add_argument("--target", help="named target from targets.yaml, or 'reference'")
    p.add_argument("--endpoint", help="endpoint URL, e.g. http://127.0.0.1:9000")
    p.add_argument("--dialect", choices=("oss", "s3"),
                   help="default: the profile's dialect, for the reference or an --endpoint")
    p.add_argument("--bucket", help="existing bucket to use (its CORS rules are restored)")
    p.add_argument("--signature-version", choices=("v4", "v1"))
    p.add_argument("--region")
    p.add_argument("--addressing", choices=("path", "virtual"))
    p.add_argument("--max-rps", help="at most this many requests a second to the target")
    p.add_argument("--concurrency", help="reads of one configuration in flight at once")
    p.add_argument("--browser", choices=("chromium",),
                   help="confirm every browser verdict in a real headless Chromium")
    p.add_argument("--browser-executable", help="the Chromium binary")
    p.add_argument("--expectations", help="known deviations file; the items it excuses are "
                   "listed on the certificate")
    p.add_argument("--out", default="certification",
                   help="bundle folder (default: certification); the zip is <out>.zip")
    p.add_argument("--corpus", help="folder holding cases/ (default: the suite's own)")
    p.add_argument("-q", "--quiet", action="store_true", help="less terminal output")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run, evaluate, write the bundle; 0 when certified, 1 when not, 2/3/130 as `run`."""
    from .run import run_suite  # the run command's own code path

    profile = load_profile(args.profile)
    folder = _prepare(Path(args.out))
    # The run reads the bundle's copy: exactly the deviations the certificate shows. Without
    # --expectations none is excused, not even those of expectations/<target>.yaml.
    if args.expectations:
        if not Path(args.expectations).is_file():
            raise ConformanceError(f"{args.expectations}: no such expectations file")
        shutil.copyfile(args.expectations, folder / "expectations.yaml")
    code = run_suite(_run_args(args, profile, folder), out, err)
    if code in (ExitStatus.USAGE_OR_CASE_ERROR, ExitStatus.INTERRUPTED):
        return code
    if not (folder / "results.json").is_file():
        print("oss-conformance: the run wrote no results.json; no certificate", file=err)
        return code or ExitStatus.TARGET_OR_PROVISIONING_ERROR
    results = parse_json((folder / "results.json").read_bytes(), str(folder / "results.json"))
    evaluation = evaluate(results, profile)
    cert = write_bundle(folder, results, profile, evaluation)
    archive = zip_bundle(folder)
    _say(cert, folder, archive, out)
    if evaluation.certified:
        return ExitStatus.OK
    if code == ExitStatus.TARGET_OR_PROVISIONING_ERROR:
        return code
    return ExitStatus.CONFORMANCE_FAILURES


def _run_args(args: argparse.Namespace, profile: Profile, folder: Path) -> argparse.Namespace:
    """The `run` arguments of this certification: the whole corpus, reports in the bundle."""
    dialect = args.dialect
    if dialect is None and args.target in (None, "reference") and len(profile.dialects) == 1:
        dialect = profile.dialects[0]  # a named target keeps the dialect its entry states
    return argparse.Namespace(
        paths=[str(corpus_root(args.corpus) / "cases")], reports=str(folder),
        target=args.target, endpoint=args.endpoint, dialect=dialect, bucket=args.bucket,
        signature_version=args.signature_version, region=args.region,
        addressing=args.addressing, latency_ms=None, max_rps=args.max_rps,
        concurrency=args.concurrency, browser=args.browser,
        browser_executable=args.browser_executable,
        expectations=str(folder / "expectations.yaml"),
        dry_run=False, workers=None, update_expectations=False, keyword=None,
        quiet=args.quiet)


def _prepare(folder: Path) -> Path:
    """An empty bundle folder; a previous bundle there is replaced, anything else refused."""
    if folder.exists():
        if not folder.is_dir():
            raise ConformanceError(f"{folder}: exists and is not a folder")
        strangers = [p.name for p in folder.iterdir() if p.name not in KNOWN]
        if strangers:
            raise ConformanceError(f"{folder}: holds {strangers[0]}, which is not part of a "
                                   "bundle; choose an empty or new --out folder")
        for p in folder.iterdir():
            if p.is_dir() and not p.is_symlink():
                raise ConformanceError(f"{p}: a folder where a bundle file goes")
            p.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_bundle(folder: Path, results: dict[str, Any], profile: Profile,
                 evaluation: Evaluation) -> dict[str, Any]:
    """Write badge.svg, certificate.html and certificate.json next to the run's reports."""
    cert: dict[str, Any] = {
        "certificate_version": CERTIFICATE_VERSION,
        "suite": {"name": SUITE_NAME, "version": __version__},
        "case_set_digest": results.get("case_set_digest"),
        "profile": profile.summary(),
        "target": public_facts(results.get("target")),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run": {"generated_at": results.get("generated_at"),
                "summary": results.get("summary")},
        **evaluation.to_dict(),
    }
    (folder / "badge.svg").write_text(badge_svg(f"CORS {profile.name}", cert["verdict"]),
                                      encoding="utf-8")
    (folder / "certificate.html").write_text(
        certificate_html(cert, digests(folder)), encoding="utf-8")
    cert["files"] = digests(folder)
    _write_atomic(folder / CERTIFICATE,
                  json.dumps(cert, indent=1, ensure_ascii=False).encode("utf-8") + b"\n")
    return cert


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every bundle file in `folder` but certificate.json."""
    return {p.name: sha256(p.read_bytes()) for p in sorted(folder.iterdir())
            if p.name in KNOWN and p.name != CERTIFICATE}


def zip_bundle(folder: Path) -> Path:
    """<folder>.zip holding <folder name>/<file> for every bundle file, written atomically."""
    archive = folder.parent / f"{folder.name}.zip"
    fd, tmp = tempfile.mkstemp(dir=folder.parent, prefix=f".{folder.name}-", suffix=".zip")
    os.close(fd)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            if p.name in KNOWN:
                zf.write(p, f"{folder.name}/{p.name}")
    os.chmod(tmp, 0o644)
    os.replace(tmp, archive)
    return archive


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _say(cert: dict[str, Any], folder: Path, archive: Path, out: TextIO) -> None:
    """The verdict, why, and where the bundle is."""
    print(f"certificate: {cert['verdict']} under profile {cert['profile']['name']} "
          f"({cert['items']['counted']} item(s) counted, {cert['items']['passed']} passed)",
          file=out)
    for reason in cert["reasons"]:
        print(f"  not certified: {reason}", file=out)
    for dev in cert["excused_deviations"]:
        print(f"  excused: {dev['nodeid']}: {dev.get('reason')}", file=out)
    for dev in cert["failures"][:20]:
        print(f"  fails: {dev['nodeid']}: {'; '.join(dev['fails'])[:200]}", file=out)
    if len(cert["failures"]) > 20:
        print(f"  ... and {len(cert['failures']) - 20} more (certificate.html)", file=out)
    print(f"bundle: {folder}/ and {archive}", file=out)
