"""CORS configuration XML in both directions (OSS-38…53, 56…61) and OSS error bodies (OSS-2).

Request bodies are untrusted, so they are parsed with defusedxml (no entities, no DTDs).
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as SafeET

from ..cases.model import CorsConfig, CorsRule
from . import errors
from .cors import ALLOWED_METHODS

MAX_BODY = 16 * 1024  # OSS-44
MAX_RULES = 10  # OSS-42: the documented limit; newer signals of 20 are unconfirmed
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_RULE_CHILDREN = ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader",
                  "MaxAgeSeconds")
_EXPOSE_FORBIDDEN = set("*<>&'\"")  # OSS-49
MAX_AGE_LIMIT = 2**31 - 1  # the schema's xs:int; a larger number is not a valid document
# Characters XML 1.0 cannot carry at all (keys and header values echoed in bodies may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What a hostile body's declaration or bytes can make expat or its codec lookup raise.
PARSE_ERRORS = (SafeET.ParseError, defusedxml.DefusedXmlException, LookupError, ValueError)


def parse_untrusted(body: bytes) -> Element | None:
    """The document element of an untrusted body, or None when it is not well-formed XML.

    No entities, no DTD (defusedxml); an unknown or multi-byte `encoding=` is refused too.
    """
    try:
        return SafeET.fromstring(body)
    except PARSE_ERRORS:
        return None


def max_age(value: str) -> int | None:
    """A MaxAgeSeconds text as a number, or None when it is not an xs:int of ASCII digits."""
    if not re.fullmatch(r"[0-9]{1,10}", value) or int(value) > MAX_AGE_LIMIT:
        return None
    return int(value)


def xml_text(text: str) -> str:
    """`text` escaped for an element, with XML-invalid characters replaced by U+FFFD."""
    return escape(_NOT_XML.sub("\ufffd", text))


def _local(tag: str) -> str:
    # A namespaced (S3-style) document is accepted: OSS-38 requires no namespace, forbids none.
    return tag.rpartition("}")[2]


def _text(element: Element) -> str:
    # OSS-92 leaves padded values undocumented; trimmed values are the only ones that can match.
    return (element.text or "").strip()


def parse_cors(body: bytes) -> CorsConfig:
    """Validate a PutBucketCors body and return the configuration to store.

    Raises errors.OssError with the code and EC of the first violation found.
    """
    if len(body) > MAX_BODY:
        raise errors.invalid_argument("The CORS configuration body exceeds 16 KB.")
    root = parse_untrusted(body)
    if root is None or _local(root.tag) != "CORSConfiguration":
        raise errors.malformed_xml()
    rules, varies = [], []
    for child in root:
        tag = _local(child.tag)
        if tag == "CORSRule":
            rules.append(child)
        elif tag == "ResponseVary":
            varies.append(_text(child))
        else:
            raise errors.malformed_xml()
    if len(varies) > 1:
        raise errors.malformed_xml()
    if not rules:
        raise errors.invalid_argument("The CORS configuration must contain at least one CORSRule.",
                                      "0034-00000002")  # OSS-45
    if len(rules) > MAX_RULES:
        raise errors.cors_rule_beyond_limit()
    parsed = tuple(_parse_rule(rule) for rule in rules)
    vary = varies[0] if varies else "false"
    if vary not in ("true", "false"):
        raise errors.invalid_argument("ResponseVary must be true or false.", "0034-00000004")
    return CorsConfig(rules=parsed, response_vary=vary == "true")


def _parse_rule(rule: Element) -> CorsRule:
    values: dict[str, list[str]] = {name: [] for name in _RULE_CHILDREN}
    for child in rule:
        tag = _local(child.tag)
        if tag not in values:
            raise errors.malformed_xml()
        values[tag].append(_text(child))
    origins, methods = values["AllowedOrigin"], values["AllowedMethod"]
    max_age = values["MaxAgeSeconds"]
    if not origins or not methods or len(max_age) > 1:
        raise errors.malformed_xml()  # OSS-39: required and 0..1 elements
    if any(m not in ALLOWED_METHODS for m in methods):
        raise errors.invalid_argument("AllowedMethod must be one of GET, PUT, DELETE, POST, HEAD.",
                                      "0034-00000011")  # OSS-46
    if any(not o for o in origins):
        raise errors.invalid_argument("AllowedOrigin must not be empty.")
    if any(o.count("*") > 1 for o in origins):
        raise errors.invalid_argument("AllowedOrigin may contain at most one asterisk (*).",
                                      "0034-00000009")  # OSS-47
    headers = [h.lower() for h in values["AllowedHeader"] if h]  # OSS-59: stored lower-cased
    if any(h.count("*") > 1 for h in headers):
        # OSS-48; the EC is not documented.
        raise errors.invalid_argument("AllowedHeader may contain at most one asterisk (*).")
    expose = [e for e in values["ExposeHeader"] if e]
    if any(_EXPOSE_FORBIDDEN & set(e) for e in expose):
        raise errors.invalid_argument("ExposeHeader must not contain *, <, >, &, ' or \".",
                                      "0034-00000013")  # OSS-49
    seconds = max_age_of(max_age)
    return CorsRule(allowed_origins=tuple(origins), allowed_methods=tuple(methods),
                    allowed_headers=tuple(headers), expose_headers=tuple(expose),
                    max_age_seconds=seconds)


def max_age_of(values: list[str]) -> int | None:
    """The rule's MaxAgeSeconds (None when absent); MalformedXML when not an xs:int."""
    if not values:
        return None
    seconds = max_age(values[0])
    if seconds is None:
        raise errors.malformed_xml()
    return seconds


def _element(tag: str, text: str) -> str:
    return f"<{tag}>{xml_text(text)}</{tag}>"


def serialize_cors(config: CorsConfig) -> bytes:
    """GetBucketCors body (OSS-56…58).

    Rules in stored order, unset items omitted, ResponseVary always present.
    """
    parts = [DECLARATION, "<CORSConfiguration>"]
    for rule in config.rules:
        parts.append("<CORSRule>")
        parts += [_element("AllowedOrigin", v) for v in rule.allowed_origins]
        parts += [_element("AllowedMethod", v) for v in rule.allowed_methods]
        parts += [_element("AllowedHeader", v) for v in rule.allowed_headers]
        parts += [_element("ExposeHeader", v) for v in rule.expose_headers]
        if rule.max_age_seconds is not None:
            parts.append(_element("MaxAgeSeconds", str(rule.max_age_seconds)))
        parts.append("</CORSRule>")
    parts.append(_element("ResponseVary", "true" if config.response_vary else "false"))
    parts.append("</CORSConfiguration>")
    return "".join(parts).encode()


def serialize_buckets(names: list[str], owner: str, prefix: str, region: str) -> bytes:
    """ListBuckets body (ListAllMyBucketsResult), never truncated."""
    parts = [DECLARATION, "<ListAllMyBucketsResult>", _element("Prefix", prefix),
             _element("Marker", ""), _element("MaxKeys", "1000"),
             _element("IsTruncated", "false"),
             f"<Owner>{_element('ID', owner)}{_element('DisplayName', owner)}</Owner>",
             "<Buckets>"]
    parts += [f"<Bucket>{_element('Name', n)}{_element('Location', 'oss-' + region)}"
              f"{_element('Region', region)}{_element('StorageClass', 'Standard')}</Bucket>"
              for n in names]
    parts.append("</Buckets></ListAllMyBucketsResult>")
    return "".join(parts).encode()


def serialize_objects(bucket: str, prefix: str, objects: list[tuple[str, str, int]]) -> bytes:
    """ListObjects body (ListBucketResult) for (key, etag, size) triples, never truncated."""
    parts = [DECLARATION, "<ListBucketResult>", _element("Name", bucket),
             _element("Prefix", prefix), _element("Marker", ""), _element("MaxKeys", "1000"),
             _element("Delimiter", ""), _element("IsTruncated", "false")]
    parts += [f"<Contents>{_element('Key', k)}{_element('ETag', etag)}"
              f"{_element('Type', 'Normal')}{_element('Size', str(size))}"
              f"{_element('StorageClass', 'Standard')}</Contents>" for k, etag, size in objects]
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


def error_body(error: errors.OssError, request_id: str, host_id: str) -> bytes:
    """`<Error>` with Code, Message, RequestId, HostId, any extras, EC and RecommendDoc (OSS-2)."""
    lines = [DECLARATION.rstrip("\n"), "<Error>",
             "  " + _element("Code", error.code), "  " + _element("Message", error.message),
             "  " + _element("RequestId", request_id), "  " + _element("HostId", host_id)]
    lines += ["  " + _element(tag, text) for tag, text in error.extra]
    lines.append("  " + _element("EC", error.ec))
    if error.ec != errors.UNKNOWN_EC:
        lines.append("  " + _element("RecommendDoc",
                                     f"https://api.aliyun.com/troubleshoot?q={error.ec}"))
    lines.append("</Error>")
    return ("\n".join(lines) + "\n").encode()
