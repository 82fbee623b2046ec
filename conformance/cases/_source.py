"""Reading a YAML file's text within bounds, with a line for every problem.

A FIFO, a device or a folder is refused before it is opened for reading (reading /dev/zero
never ends, a FIFO blocks), a file over MAX_FILE_BYTES after reading at most that many bytes,
and bytes that are not UTF-8 or characters YAML forbids at the line where they are.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ..errors import CaseFormatError
from ._limits import MAX_FILE_BYTES

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))
# What YAML 1.1 (and so libyaml) refuses to read: C0/C1 controls other than tab, LF, CR, NEL.
NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_source(path: Path, file: str) -> str:
    """The UTF-8 text of a regular file of at most MAX_FILE_BYTES; else one CaseFormatError."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise CaseFormatError(f"not a regular file ({_kind(info.st_mode)}): refused",
                                  file=file)
        # O_NONBLOCK: should the path become a FIFO after the check, opening it cannot block.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise CaseFormatError("not a regular file: refused", file=file)
            data = _read_at_most(fd, MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise CaseFormatError(f"cannot read: {exc.strerror or exc}", file=file) from None
    if len(data) > MAX_FILE_BYTES:
        raise CaseFormatError(
            f"the file is longer than {MAX_FILE_BYTES:,} bytes (MAX_FILE_BYTES): refused",
            file=file, line=data.count(b"\n", 0, MAX_FILE_BYTES) + 1)
    return decode(data, file)


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def decode(data: bytes, file: str) -> str:
    """UTF-8 text; bytes that are not UTF-8 are one error naming their line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        raise CaseFormatError(
            f"not UTF-8: byte 0x{data[start]:02x} at column {column}",
            file=file, line=data.count(b"\n", 0, start) + 1) from None


def unprintable_error(text: str, file: str) -> CaseFormatError | None:
    """The first character YAML refuses, as an error naming its line and column (or None)."""
    found = NOT_PRINTABLE.search(text)
    if found is None:
        return None
    at = found.start()
    line_start = text.rfind("\n", 0, at) + 1
    return CaseFormatError(
        f"invalid YAML: control character U+{ord(found.group()):04X} at column "
        f"{at - line_start + 1} (not allowed in YAML; write it as an escape such as \\x01 "
        "inside double quotes)", file=file, line=text.count("\n", 0, at) + 1)
