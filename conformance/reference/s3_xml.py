"""S3 XML in both directions: CORS configurations, error bodies and listing results.

Request bodies are untrusted, so they are parsed with defusedxml (no entities, no DTDs). Rules
follow S3's PutBucketCors and CORSRule references (clauses S3-31…41 of spec/s3_clauses.yaml);
codes and messages come from s3_errors.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from ..cases.model import CorsConfig, CorsRule
from . import s3_errors as err
from .cors import ALLOWED_METHODS
from .errors import OssError
from .store import StoredCors
from .xml_codec import max_age, parse_untrusted, xml_text

MAX_BODY = 64 * 1024  # S3 PutBucketCors: "up to 64 KB"
MAX_RULES = 100  # S3 PutBucketCors: "up to 100 rules"
MAX_ID = 255  # S3 CORSRule ID
NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_CHILDREN = ("ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader",
             "MaxAgeSeconds")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(element: Element) -> str:
    return (element.text or "").strip()


def parse_root(body: bytes, name: str) -> Element:
    """The document element, which must be `name` (any namespace); MalformedXML otherwise."""
    root = parse_untrusted(body)
    if root is None or _local(root.tag) != name:
        raise err.malformed_xml()
    return root


def parse_cors(body: bytes) -> StoredCors:
    """Validate a PutBucketCors body; raises the S3Error AWS answers with."""
    if len(body) > MAX_BODY:
        raise err.too_big()
    root = parse_root(body, "CORSConfiguration")
    rules = []
    for child in root:
        if _local(child.tag) != "CORSRule":  # ResponseVary is OSS's: not in S3's schema
            raise err.malformed_xml()
        rules.append(child)
    if not rules:
        raise err.malformed_xml()  # snapshot put-cors-exc-empty
    if len(rules) > MAX_RULES:
        raise err.invalid_request("The number of CORS rules should not exceed allowed limit of "
                                  "100 rules.")
    parsed = [_parse_rule(rule) for rule in rules]
    return StoredCors(CorsConfig(tuple(r for r, _ in parsed)), tuple(i for _, i in parsed))


def _parse_rule(rule: Element) -> tuple[CorsRule, str | None]:
    values: dict[str, list[str]] = {name: [] for name in _CHILDREN}
    for child in rule:
        tag = _local(child.tag)
        if tag not in values:
            raise err.malformed_xml()
        values[tag].append(_text(child))
    origins, methods = values["AllowedOrigin"], values["AllowedMethod"]
    ids, max_age_values = values["ID"], values["MaxAgeSeconds"]
    if not origins or not methods or len(ids) > 1 or len(max_age_values) > 1:
        raise err.malformed_xml()
    for method in methods:
        if method not in ALLOWED_METHODS:  # snapshot put-cors-exc: exact, upper-case
            raise err.invalid_request("Found unsupported HTTP method in CORS config. "
                                      f"Unsupported method is {method}")
    for kind, items in (("AllowedOrigin", origins), ("AllowedHeader", values["AllowedHeader"])):
        for item in items:
            if item.count("*") > 1:
                raise err.invalid_request(f'{kind} "{item}" can not have more than one '
                                          "wildcard.")
    for item in values["ExposeHeader"]:
        if "*" in item:
            # Wording from a real AWS refusal quoted in a deployment note (clause S3-50).
            raise err.invalid_request(f'ExposeHeader "{item}" contains wildcard. We currently do '
                                      "not support wildcard for ExposeHeader.")
    if ids and len(ids[0]) > MAX_ID:
        raise err.S3Error(400, "InvalidArgument",
                          "ID length should not exceed allowed limit of 255")
    seconds = max_age(max_age_values[0]) if max_age_values else None
    if max_age_values and seconds is None:
        raise err.malformed_xml()
    # S3 keeps AllowedHeader's case (snapshot get-bucket-cors-casing); an empty AllowedOrigin is
    # stored as given (snapshot get-cors-empty).
    return CorsRule(allowed_origins=tuple(origins), allowed_methods=tuple(methods),
                    allowed_headers=tuple(h for h in values["AllowedHeader"] if h),
                    expose_headers=tuple(e for e in values["ExposeHeader"] if e),
                    max_age_seconds=seconds), ids[0] if ids else None


def element(tag: str, text: str) -> str:
    """`<tag>text</tag>`, escaped."""
    return f"<{tag}>{xml_text(text)}</{tag}>"


def document(root: str, inner: list[str]) -> bytes:
    """An S3 response document in the S3 namespace."""
    return (f'{DECLARATION}<{root} xmlns="{NAMESPACE}">' + "".join(inner)
            + f"</{root}>").encode()


def serialize_cors(stored: StoredCors) -> bytes:
    """GetBucketCors body: rules in stored order, IDs where given, unset items omitted."""
    ids = stored.ids or (None,) * len(stored.config.rules)
    parts = []
    for rule, rule_id in zip(stored.config.rules, ids, strict=True):
        parts.append("<CORSRule>")
        if rule_id:
            parts.append(element("ID", rule_id))
        parts += [element("AllowedHeader", v) for v in rule.allowed_headers]
        parts += [element("AllowedMethod", v) for v in rule.allowed_methods]
        parts += [element("AllowedOrigin", v) for v in rule.allowed_origins]
        parts += [element("ExposeHeader", v) for v in rule.expose_headers]
        if rule.max_age_seconds is not None:
            parts.append(element("MaxAgeSeconds", str(rule.max_age_seconds)))
        parts.append("</CORSRule>")
    return document("CORSConfiguration", parts)


def error_body(error: OssError, request_id: str, host_id: str) -> bytes:
    """`<Error>` with Code, Message, the error's extras, RequestId and HostId (no EC)."""
    parts = [element("Code", error.code), element("Message", error.message)]
    parts += [element(tag, text) for tag, text in error.extra]
    parts += [element("RequestId", request_id), element("HostId", host_id)]
    return (DECLARATION + "<Error>" + "".join(parts) + "</Error>").encode()


def serialize_buckets(names: list[tuple[str, str]], owner: str) -> bytes:
    """ListBuckets body for (name, ISO creation date) pairs."""
    parts = [f"<Owner>{element('ID', owner)}{element('DisplayName', owner)}</Owner>",
             "<Buckets>"]
    parts += [f"<Bucket>{element('Name', n)}{element('CreationDate', d)}</Bucket>"
              for n, d in names]
    parts.append("</Buckets>")
    return document("ListAllMyBucketsResult", parts)


def serialize_objects(bucket: str, prefix: str, objects: list[tuple[str, str, int]],
                      v2: bool) -> bytes:
    """ListObjects (v1) or ListObjectsV2 body, never truncated."""
    parts = [element("Name", bucket), element("Prefix", prefix)]
    if v2:
        parts.append(element("KeyCount", str(len(objects))))
    else:
        parts.append(element("Marker", ""))
    parts += [element("MaxKeys", "1000"), element("IsTruncated", "false")]
    parts += [f"<Contents>{element('Key', k)}{element('ETag', etag)}"
              f"{element('Size', str(size))}{element('StorageClass', 'STANDARD')}</Contents>"
              for k, etag, size in objects]
    return document("ListBucketResult", parts)
