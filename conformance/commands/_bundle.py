"""Reading certification bundles and results.json files, which are untrusted input.

A bundle is a folder or a .zip of a flat set of known file names. Nothing is extracted to disk:
members are read into memory by name, each bounded in size (also while decompressing, since a
zip header may lie), with absolute names, `..`, backslashes, duplicates, links and encrypted
members refused. Every problem is a BundleError: one line, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConformanceError

CERTIFICATE = "certificate.json"
REQUIRED = ("results.json", "report.html", "junit.xml", "certificate.html", "badge.svg")
OPTIONAL = ("expectations.yaml",)
KNOWN = (CERTIFICATE, *REQUIRED, *OPTIONAL)
MAX_FILE_BYTES = 512 * 1024 * 1024  # results.json of a 10,000-file corpus stays well below
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_MEMBERS = 64
_CHUNK = 1024 * 1024


class BundleError(ConformanceError):
    """A bundle or results file that cannot be read: exit status 2."""


@dataclass
class Bundle:
    """The known files of a bundle, by name, and the names it holds besides them."""

    source: str
    files: dict[str, bytes] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def json(self, name: str) -> dict[str, Any]:
        """A JSON member parsed; a missing or malformed one is a BundleError."""
        if name not in self.files:
            raise BundleError(f"{self.source}: no {name} in the bundle")
        return parse_json(self.files[name], f"{self.source}: {name}")


def sha256(data: bytes) -> str:
    """Hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def read_bundle(path: Path) -> Bundle:
    """The bundle at `path` (a folder or a .zip)."""
    if path.is_symlink() and path.is_dir():
        raise BundleError(f"{path}: a bundle folder may not be a symbolic link")
    if path.is_dir():
        return _read_folder(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return _read_zip(path)
    if not path.exists():
        raise BundleError(f"{path}: no such file or folder")
    raise BundleError(f"{path}: neither a bundle folder nor a .zip bundle")


def load_results(path: Path) -> tuple[dict[str, Any], Bundle | None]:
    """A results.json given directly, or the one inside a bundle (folder or zip)."""
    if path.is_dir() or (path.is_file() and zipfile.is_zipfile(path)):
        bundle = read_bundle(path)
        return bundle.json("results.json"), bundle
    if not path.is_file():
        raise BundleError(f"{path}: no such file, bundle folder or .zip")
    return parse_json(_read_bounded_file(path), str(path)), None


def parse_json(data: bytes, where: str) -> dict[str, Any]:
    """A JSON object from untrusted bytes; anything else is a one-line BundleError."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BundleError(f"{where}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"{where}:{exc.lineno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise BundleError(f"{where}: nested too deeply") from None
    if not isinstance(value, dict):
        raise BundleError(f"{where}: not a JSON object")
    return value


def public_facts(target: Any) -> dict[str, Any]:
    """Target facts without anything secret: no user-info or query in the endpoint."""
    facts = dict(target) if isinstance(target, dict) else {}
    endpoint = facts.get("endpoint")
    if isinstance(endpoint, str):
        try:
            parts = urlsplit(endpoint)
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
        except ValueError:  # e.g. a port out of range, in a results.json someone sent
            facts["endpoint"] = "(unparseable)"
        else:
            facts["endpoint"] = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return facts


def _read_folder(folder: Path) -> Bundle:
    bundle = Bundle(str(folder))
    entries = sorted(folder.iterdir())
    if len(entries) > MAX_MEMBERS:
        raise BundleError(f"{folder}: more than {MAX_MEMBERS} entries; not a bundle")
    for entry in entries:
        if entry.name not in KNOWN:
            bundle.unknown.append(entry.name)
        elif entry.is_symlink() or not entry.is_file():
            raise BundleError(f"{entry}: not a regular file")
        else:
            bundle.files[entry.name] = _read_bounded_file(entry)
    return bundle


def _read_bounded_file(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise BundleError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    return data


def _read_zip(path: Path) -> Bundle:
    bundle = Bundle(str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > MAX_MEMBERS:
                raise BundleError(f"{path}: more than {MAX_MEMBERS} members; not a bundle")
            prefix = _common_folder([i.filename for i in infos])
            total = 0
            for info in infos:
                name = _member_name(info.filename, prefix, path)
                if name in bundle.files or name in bundle.unknown:
                    raise BundleError(f"{path}: {info.filename}: appears twice")
                if name not in KNOWN:
                    bundle.unknown.append(name)
                    continue
                if info.flag_bits & 0x1:
                    raise BundleError(f"{path}: {info.filename}: encrypted")
                data = _read_member(zf, info, path)
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    raise BundleError(f"{path}: more than {MAX_TOTAL_BYTES} bytes unpacked")
                bundle.files[name] = data
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise BundleError(f"{path}: damaged zip: {str(exc)[:200]}") from None
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror or exc}") from None
    return bundle


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """A member's bytes, stopping at the size bound whatever its header says."""
    if info.file_size > MAX_FILE_BYTES:
        raise BundleError(f"{path}: {info.filename}: larger than {MAX_FILE_BYTES} bytes")
    chunks, size = [], 0
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise BundleError(f"{path}: {info.filename}: larger than {MAX_FILE_BYTES} "
                                  "bytes unpacked")
            chunks.append(chunk)
    return b"".join(chunks)


def _common_folder(names: list[str]) -> str:
    """The one top folder every member sits in ("" when they sit at the top)."""
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    if len(tops) == 1 and all("/" in n for n in names):
        return tops.pop() + "/"
    return ""


def _member_name(raw: str, prefix: str, path: Path) -> str:
    """The flat name of a member; anything that could escape or nest is refused."""
    pure = PurePosixPath(raw)
    if "\\" in raw or pure.is_absolute() or ".." in pure.parts or raw.startswith("~"):
        raise BundleError(f"{path}: {raw[:200]!r}: unsafe member name")
    name = raw.removeprefix(prefix)
    if "/" in name or not name:
        raise BundleError(f"{path}: {raw[:200]!r}: a bundle holds no sub-folders")
    return name
