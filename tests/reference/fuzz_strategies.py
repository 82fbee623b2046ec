"""Hypothesis strategies for hostile raw requests to the reference endpoint (both dialects).

A drawn `RawRequest` is the request before framing and signing: method, target, headers, body
and how the body is framed (Content-Length right, wrong or garbage; chunked right or broken).
When `sign` is set the test signs it for real, so garbage reaches the XML, multipart, copy and
aws-chunked layers behind authentication instead of stopping at AccessDenied.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from hypothesis import strategies as st

AK = "AKIDFUZZREFERENCE"
ODD_DIGITS = ["%C2%B2", "²", "٣", "-1", "+5", " 5", "1e3", "0x10", "9" * 5000, "9" * 25, "",
              "%00", "%FF%FE", "18446744073709551617"]
QUERY_KEYS = ["cors", "uploads", "uploadId", "partNumber", "prefix", "list-type", "Expires",
              "OSSAccessKeyId", "Signature", "x-oss-signature-version", "x-oss-credential",
              "x-oss-date", "x-oss-expires", "x-oss-signature", "x-oss-additional-headers",
              "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
              "X-Amz-SignedHeaders", "X-Amz-Signature", "AWSAccessKeyId", "%FF", "%", "a=b=c"]
HEADER_NAMES = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers",
                "Authorization", "Date", "x-oss-date", "x-amz-date", "x-amz-content-sha256",
                "Content-Encoding", "x-amz-decoded-content-length", "Content-MD5",
                "x-amz-checksum-crc32", "x-amz-checksum-sha256", "x-amz-copy-source",
                "Content-Type", "Host", "Transfer-Encoding", "Expect", "Connection",
                "x-oss-content-sha256", "X-Fuzz", "Content-Length"]
SCHEMES = ["OSS ", "OSS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 ", "AWS ", "Bearer ", ""]
CREDENTIALS = [f"{AK}/20250101/us-east-1/s3/aws4_request", f"{AK}/20250101/cn-hangzhou/oss/"
               "aliyun_v4_request", f"{AK}/x/y", "/////", f"{AK}/20250101/eu-west-9/s3/aws4_req"]
ENCODINGS = ["UTF-8", "utf-16", "x-bogus-1", "ISO-8859-1", "euc-jp", "ascii", "", "UTF-32",
             "shift_jis", "cp1252", "\u00e9", "x-bogus-2", "big5", "gb18030"]
TAGS = ["CORSConfiguration", "CORSRule", "AllowedOrigin", "AllowedMethod", "AllowedHeader",
        "ExposeHeader", "MaxAgeSeconds", "ID", "ResponseVary", "Part", "PartNumber", "ETag",
        "CompleteMultipartUpload", "x"]

latin1 = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=40)
anything = st.text(max_size=40)
# Two parts hand-picked trouble (Unicode digits, 5,000 digits, signs…) to one part integers.
odd_number = st.one_of(st.sampled_from(ODD_DIGITS), st.sampled_from(ODD_DIGITS),
                       st.integers(-10**30, 10**30).map(str))


@dataclass
class RawRequest:
    """One request before framing; `framing` says how the body travels."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    framing: str
    sign: str  # "", "v1" (OSS V1 or S3 SigV2) or "v4" (OSS V4 or S3 SigV4)


def _segment(draw: st.DrawFn) -> str:
    return draw(st.one_of(
        st.sampled_from(["", "obj.txt", "%FF%FE", "%00", "a%2Fb", "..", "%C3%A9t%C3%A9",
                         "a" * 300, "\u00e9", "k?x", "%", "%zz"]),
        latin1.map(lambda s: s.replace(" ", "%20").replace("?", "%3F").replace("#", "%23"))))


@st.composite
def header_value(draw: st.DrawFn, name: str) -> str:
    """A value for `name`: well-aimed garbage most of the time, anything latin-1 otherwise."""
    lower = name.lower()
    if lower == "authorization":
        scheme = draw(st.sampled_from(SCHEMES))
        cred = draw(st.sampled_from(CREDENTIALS))
        fields = draw(st.sampled_from([
            f"Credential={cred}, SignedHeaders=host;x-amz-date, Signature=00",
            f"Credential={cred},Signature=abc", f"{AK}:c2ln", ":", f"{AK}:", "=,=,=",
            f"Credential={cred}, SignedHeaders=, Signature="]))
        return scheme + draw(st.one_of(st.just(fields), latin1))
    if lower in ("x-amz-date", "x-oss-date", "date"):
        return draw(st.one_of(st.sampled_from([
            "20250101T000000Z", "99991231T235959Z", "Mon, 01 Jan 99999 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT", "20251340T256161Z", "Fri, 32 Foo 2025 99:99:99"]),
            latin1))
    if lower in ("x-amz-decoded-content-length", "content-length"):
        return draw(odd_number)
    if lower == "x-amz-content-sha256":
        return draw(st.sampled_from(["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "UNSIGNED-PAYLOAD",
                                     "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "0" * 64, "zz"]))
    if lower == "transfer-encoding":
        return draw(st.sampled_from(["chunked", "gzip", "chunked, gzip", "identity", "CHUNKED",
                                     ""]))
    if lower == "x-amz-copy-source":
        return draw(st.sampled_from(["/", "//", "fuzz-bucket", "/fuzz-bucket/", "%FF/%FE",
                                     "/fuzz-bucket/obj.txt?versionId=x", "/nobucket/k"]))
    if lower == "host":
        return draw(st.one_of(st.sampled_from(["[", "a]", "[::1", "x:99999999", "a:b:c",
                                               "fuzz-bucket.example.com", "", "\u00e9"]),
                              latin1))
    if lower == "content-type":
        return draw(st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=",
                                     "multipart/form-data; boundary=XyZ", "application/xml",
                                     "text/plain; charset=x-bogus-1"]))
    return draw(st.one_of(latin1, st.sampled_from(["GET", "PUT", "x-a, , ,x-b", "*", "null",
                                                   "a\r\n folded", "v" * 70_000])))


@st.composite
def xml_document(draw: st.DrawFn) -> bytes:
    """A CORS or CompleteMultipartUpload document with odd encodings, entities, depth, numbers."""
    parts: list[str] = []
    encoding = draw(st.sampled_from([None, "UTF-8", *ENCODINGS]))
    if encoding is not None:
        parts.append(f'<?xml version="1.0" encoding="{encoding}"?>')
    if draw(st.integers(0, 9)) == 0:
        parts.append(draw(st.sampled_from([
            '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
            '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "<!DOCTYPE r>"])))
    root = draw(st.sampled_from(["CORSConfiguration", "CompleteMultipartUpload", "x"]))
    namespace = draw(st.sampled_from(["", ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"']))
    inner = draw(st.lists(_rule(), max_size=4))
    depth = draw(st.sampled_from([0, 0, 0, 50, 3000]))
    nest = "<x>" * depth + "</x>" * depth
    parts.append(f"<{root}{namespace}>{''.join(inner)}{nest}</{root}>")
    text = "".join(parts)
    try:
        data = text.encode(encoding or "utf-8")
    except (LookupError, UnicodeError):
        data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # splice raw bytes that no UTF-8 decoder accepts
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


@st.composite
def _rule(draw: st.DrawFn) -> str:
    children = draw(st.lists(st.tuples(st.sampled_from(TAGS), st.one_of(
        odd_number, st.sampled_from(["*", "**", "GET", "get", "http://*.a.com", "&amp;",
                                     "&#0;", "&b;", "&x;", "<![CDATA[x]]>", '"1"', "a" * 300]),
        anything.map(lambda s: s.replace("<", "").replace("&", "")))), max_size=8))
    if draw(st.booleans()):  # a valid core, so the odd children are what gets judged
        children = [("AllowedOrigin", "*"), ("AllowedMethod", "GET"), *children]
    body = "".join(f"<{t}>{v}</{t}>" for t, v in children)
    wrapper = draw(st.sampled_from(["CORSRule", "CORSRule", "Part", "ResponseVary"]))
    return f"<{wrapper}>{body}</{wrapper}>"


def _form(draw: st.DrawFn) -> tuple[bytes, str]:
    policy = draw(st.one_of(
        st.sampled_from(["", "!!!", "e30=", base64.b64encode(b"[" * 5000).decode()]),
        st.builds(lambda doc: base64.b64encode(json.dumps(doc).encode()).decode(),
                  st.fixed_dictionaries({}, optional={
                      "expiration": st.one_of(st.sampled_from([
                          "2999-01-01T00:00:00Z", "0001-01-01T00:00:00-23:59", "x"]),
                          st.integers(), st.none()),
                      "conditions": st.one_of(st.integers(), st.just({"a": 1}), st.lists(
                          st.one_of(st.just(["content-length-range", "a", []]),
                                    st.just(["eq", "$key", "k"]), st.just([1, 2]),
                                    st.just({"bucket": "fuzz-bucket"})), max_size=3))}))))
    fields = [("key", draw(st.sampled_from(["k", "", "\u00e9\r\n", "a" * 2000]))),
              ("policy", policy), ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
              ("x-amz-credential", draw(st.sampled_from(CREDENTIALS))),
              ("x-amz-date", "20250101T000000Z"), ("x-amz-signature", "00"),
              ("OSSAccessKeyId", AK), ("Signature", "x"), ("AWSAccessKeyId", AK),
              ("success_action_status", draw(odd_number))]
    chosen = draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True))
    boundary = "XyZ"
    lines = [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'
             for n, v in chosen]
    lines.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n'
                 f"--{boundary}--\r\n")
    return "".join(lines).encode("utf-8"), f"multipart/form-data; boundary={boundary}"


def _aws_chunked(draw: st.DrawFn) -> bytes:
    return draw(st.sampled_from([
        b"5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\n\r\n", b"-4\r\n\r\n",
        b"-1\r\nabc", b"zz\r\nabc\r\n0\r\n\r\n", b"ffffffffffffffff\r\nabc\r\n",
        b"5\r\nhelloXX0\r\n\r\n", b"3\r\nab", b"\r\n\r\n",
        b"0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"]))


# Aimed requests: an operation's method, path and query, so that garbage reaches the layer
# behind it: (method, path under the bucket, query, body kind, signed). Placeholders in capitals
# are drawn: NUMBER an odd number, DATE a timestamp or garbage, CRED a credential scope.
OPERATIONS = [
    ("PUT", "/", [("cors", "")], "xml", True),
    ("PUT", "/", [("cors", "")], "xml", True),
    ("PUT", "/", [("cors", "")], "bytes", True),
    ("POST", "/obj.txt", [("uploadId", "UPLOAD")], "xml", True),
    ("PUT", "/obj.txt", [("partNumber", "NUMBER"), ("uploadId", "UPLOAD")], "bytes", True),
    ("PUT", "/copy.txt", [], "copy", True),
    ("POST", "/", [], "form", False),
    ("PUT", "/obj.txt", [], "aws-chunked", True),
    ("GET", "/", [("list-type", "2"), ("prefix", "PREFIX")], "none", True),
    ("OPTIONS", "/obj.txt", [], "none", False),
    ("GET", "/obj.txt", [("OSSAccessKeyId", AK), ("Signature", "x"), ("Expires", "NUMBER")],
     "none", False),
    ("GET", "/obj.txt", [("x-oss-signature-version", "OSS4-HMAC-SHA256"),
                         ("x-oss-credential", "CRED"), ("x-oss-date", "DATE"),
                         ("x-oss-expires", "NUMBER"), ("x-oss-signature", "00")], "none", False),
    ("GET", "/obj.txt", [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "CRED"),
                         ("X-Amz-Date", "DATE"), ("X-Amz-Expires", "NUMBER"),
                         ("X-Amz-SignedHeaders", "host"), ("X-Amz-Signature", "00")],
     "none", False),
    ("GET", "/obj.txt", [("AWSAccessKeyId", AK), ("Signature", "x"), ("Expires", "NUMBER")],
     "none", False),
]
DATES = ["20250101T000000Z", "99999999T999999Z", "2025-01-01", "", "%C2%B2", "20251340T256161Z"]


@st.composite
def _aimed(draw: st.DrawFn, bucket: str, upload_id: str) -> tuple[str, str, list, str, bool]:
    method, path, query, kind, signed = draw(st.sampled_from(OPERATIONS))
    values = {"UPLOAD": draw(st.sampled_from([upload_id, upload_id, "nope", ""])),
              "NUMBER": draw(odd_number), "PREFIX": draw(latin1),
              "DATE": draw(st.sampled_from(DATES)), "CRED": draw(st.sampled_from(CREDENTIALS))}
    query = [(k, values.get(v, v)) for k, v in query]
    if draw(st.integers(0, 4)) == 0:  # a repeated parameter, garbage or not
        query.append(draw(st.sampled_from(query or [("cors", "")])))
    return method, f"/{bucket}{path}", query, kind, signed


@st.composite
def _wild(draw: st.DrawFn, bucket: str) -> tuple[str, str, list, str, bool]:
    method = draw(st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH",
                                   "FOO", "get", "PUT"]))
    name = draw(st.sampled_from([bucket, "", "no-such-bucket", "%FF", "A_B"]))
    path = f"/{name}/{_segment(draw)}" if name else "/"
    query = draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS), st.one_of(
        odd_number, st.sampled_from(["", AK, "OSS4-HMAC-SHA256", "AWS4-HMAC-SHA256",
                                     *CREDENTIALS, "20250101T000000Z", "host;x-amz-date", "2"]),
        latin1.map(lambda s: s.replace("&", "%26").replace(" ", "%20").replace("#", "%23")))),
        max_size=6))
    kind = draw(st.sampled_from(["none", "bytes", "xml", "xml", "form", "aws-chunked"]))
    return method, path, query, kind, draw(st.booleans())


@st.composite
def raw_requests(draw: st.DrawFn, bucket: str, upload_id: str = "") -> RawRequest:
    """A hostile request: aimed at an operation of `bucket` 3 times in 4, wild otherwise."""
    aimed = draw(st.integers(0, 3)) > 0
    method, path, query, kind, signed = draw(_aimed(bucket, upload_id) if aimed
                                             else _wild(bucket))
    names = draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=2 if aimed else 6))
    headers = [(n, draw(header_value(n))) for n in names]
    body = b""
    if kind == "bytes":
        body = draw(st.binary(max_size=2048))
    elif kind == "xml":
        body = draw(xml_document())
    elif kind == "form":
        body, content_type = _form(draw)
        headers.append(("Content-Type", content_type))
    elif kind == "aws-chunked":
        body = _aws_chunked(draw)
        headers += [("Content-Encoding", "aws-chunked"),
                    ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")]
    elif kind == "copy":
        name = draw(st.sampled_from(["x-amz-copy-source", "x-oss-copy-source"]))
        headers.append((name, draw(header_value("x-amz-copy-source"))))
    framings = ["length"] * 6 + ["chunked", "chunk-negative", "chunk-unterminated",
                                 "chunk-garbage", "short", "none"]
    framing = draw(st.sampled_from(framings if aimed else framings[4:]))
    sign = draw(st.sampled_from(["v1", "v4", "v4"])) if signed else ""
    return RawRequest(method, path, query, headers, body, framing, sign)
