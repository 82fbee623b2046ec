r"""The aws-chunked content encoding of SigV4 streaming uploads, decoded strictly.

`<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0[;…]\r\n`, then optional trailer lines
(`x-amz-checksum-…:…`) and a final CRLF. The body already sits in memory under the transport's
cap; decoding only ever moves forward, so garbage ends in a 400, never a loop or a slice past
the end. Chunk signatures are not verified (the seed signature is).
"""

from __future__ import annotations

import re

from . import s3_errors as err

_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DECIMAL = re.compile(r"[0-9]{1,20}")


def _incomplete() -> err.S3Error:
    return err.S3Error(400, "IncompleteBody", "The request body terminated unexpectedly")


def _invalid(why: str) -> err.S3Error:
    return err.S3Error(400, "InvalidRequest", f"Invalid aws-chunked encoding: {why}.")


def decode_aws_chunked(body: bytes, decoded_length: str | None = None) -> bytes:
    """The payload of an aws-chunked body; IncompleteBody or InvalidRequest when malformed."""
    out, pos = [], 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise _incomplete()
        size_field = body[pos:end].split(b";")[0].strip()
        if not _SIZE.fullmatch(size_field):
            raise _invalid("a chunk size must be hexadecimal digits")
        size = int(size_field, 16)
        start = end + 2
        if size == 0:
            break
        if start + size + 2 > len(body):
            raise _incomplete()
        if body[start + size:start + size + 2] != b"\r\n":
            raise _invalid("a chunk's data must be followed by CRLF")
        out.append(body[start:start + size])
        pos = start + size + 2
    payload = b"".join(out)
    _check_length(payload, decoded_length)
    return payload


def _check_length(payload: bytes, decoded_length: str | None) -> None:
    # x-amz-decoded-content-length announces the payload size; AWS refuses a body that differs.
    if decoded_length is None:
        return
    if not _DECIMAL.fullmatch(decoded_length.strip()):
        raise err.S3Error(400, "InvalidArgument", "x-amz-decoded-content-length must be a "
                          "decimal number of bytes.")
    if int(decoded_length) != len(payload):
        raise _incomplete()
