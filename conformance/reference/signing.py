"""OSS V1 and V4 signature computation: pure functions of the request parts (OSS-74…OSS-79).

Nothing here reads a clock or a credential store, so the captured SDK requests of local-targets.md
§5 verify as fixed test vectors. `auth.py` applies the policy (which key, which clock, which error).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

V4_ALGORITHM = "OSS4-HMAC-SHA256"
V4_TERMINATOR = "aliyun_v4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# OSS-76: only these query keys take part in a V1 CanonicalizedResource (union of the SDKs' lists).
V1_SUBRESOURCES = frozenset({
    "acl", "append", "bucketInfo", "callback", "callback-var", "cname", "comp",
    "continuation-token", "cors", "delete", "encryption", "endTime", "img", "inventory",
    "inventoryId", "lifecycle", "live", "location", "logging", "objectMeta", "partNumber", "policy",
    "position", "qos", "referer", "regionList", "replication", "replicationLocation",
    "replicationProgress", "requestPayment", "resourceGroup", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "restore", "security-token", "sequential",
    "startTime", "stat", "status", "style", "styleName", "symlink", "tagging",
    "transferAcceleration", "uploadId", "uploads", "versionId", "versioning", "versions", "vod",
    "website", "worm", "wormExtend", "wormId", "x-oss-process", "x-oss-traffic-limit",
})


@dataclass(frozen=True)
class SigningInput:
    """The request parts a signature covers.

    `key` is decoded (None for bucket- and service-level requests); `query` holds the raw pairs as
    they appeared on the wire, still percent-encoded; `headers` maps lower-case names to values.
    """

    method: str
    bucket: str | None
    key: str | None
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class V1Credential:
    """`Authorization: OSS <AccessKeyId>:<Signature>` (OSS-74)."""

    access_key_id: str
    signature: str


@dataclass(frozen=True)
class V4Credential:
    """`Authorization: OSS4-HMAC-SHA256 Credential=…[,AdditionalHeaders=…],Signature=…` (OSS-77)."""

    access_key_id: str
    date: str
    region: str
    product: str
    additional_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        """The credential scope `<date>/<region>/<product>/aliyun_v4_request`."""
        return f"{self.date}/{self.region}/{self.product}/{V4_TERMINATOR}"


def _uri(inp: SigningInput) -> str:
    uri = "/"
    if inp.bucket:
        uri += inp.bucket + "/"
    if inp.key:
        uri += inp.key
    return uri


# --- V1 ------------------------------------------------------------------------------------------


def v1_canonical_resource(inp: SigningInput) -> str:
    """`/<bucket>/<key>` plus the sorted allow-listed sub-resources, bare keys (OSS-76)."""
    pairs = sorted((unquote(k), unquote(v)) for k, v in inp.query if unquote(k) in V1_SUBRESOURCES)
    if not pairs:
        return _uri(inp)
    return _uri(inp) + "?" + "&".join(f"{k}={v}" if v else k for k, v in pairs)


def v1_string_to_sign(inp: SigningInput, date: str | None = None) -> str:
    """VERB, Content-MD5, Content-Type, Date, CanonicalizedOSSHeaders, CanonicalizedResource.

    `date` overrides the Date slot (the Expires value of a presigned URL); otherwise x-oss-date wins
    over Date, as the SDKs sign it (OSS-75).
    """
    h = inp.headers
    if date is None:
        date = h.get("x-oss-date") or h.get("date", "")
    oss_headers = "".join(f"{k}:{v}\n" for k, v in sorted(h.items()) if k.startswith("x-oss-"))
    return (f"{inp.method}\n{h.get('content-md5', '')}\n{h.get('content-type', '')}\n{date}\n"
            f"{oss_headers}{v1_canonical_resource(inp)}")


def v1_signature(secret: str, string_to_sign: str) -> str:
    """base64(HMAC-SHA1(secret, string_to_sign))."""
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# --- V4 ------------------------------------------------------------------------------------------


def _v4_signed(name: str, additional: tuple[str, ...]) -> bool:
    return name.startswith("x-oss-") or name in ("content-type", "content-md5", *additional)


def v4_canonical_request(inp: SigningInput, additional_headers: tuple[str, ...] = ()) -> str:
    """The canonical request of OSS-78; the presigned `x-oss-signature` parameter is left out.

    Query pairs stay as encoded on the wire and sort as strings, as the SDKs build them.
    """
    additional = tuple(sorted(h.lower() for h in additional_headers))
    pairs = sorted((k, v) for k, v in inp.query if k and k != "x-oss-signature")
    query = "&".join(f"{k}={v}" if v else k for k, v in pairs)
    headers = "".join(f"{k}:{v}\n" for k, v in sorted(inp.headers.items())
                      if _v4_signed(k, additional))
    payload = inp.headers.get("x-oss-content-sha256", UNSIGNED_PAYLOAD)
    return (f"{inp.method}\n{quote(_uri(inp), safe='/')}\n{query}\n{headers}\n"
            f"{';'.join(additional)}\n{payload}")


def v4_string_to_sign(timestamp: str, scope: str, canonical_request: str) -> str:
    """`OSS4-HMAC-SHA256`, the x-oss-date timestamp, the scope and the canonical request's hash."""
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return f"{V4_ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def v4_signature(secret: str, date: str, region: str, product: str, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 under the key chain `aliyun_v4`+secret → date → region → product (OSS-79)."""
    key = ("aliyun_v4" + secret).encode()
    for part in (date, region, product, V4_TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


# --- Parsing -------------------------------------------------------------------------------------


def parse_v4_scope(credential: str) -> tuple[str, str, str, str]:
    """Split `AK/<date>/<region>/<product>/aliyun_v4_request` into (AK, date, region, product)."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != V4_TERMINATOR or not all(parts[:4]):
        raise ValueError(f"invalid credential {credential!r}")
    return parts[0], parts[1], parts[2], parts[3]


def parse_authorization(value: str) -> V1Credential | V4Credential:
    """Parse an Authorization header; both `,` and `, ` separate V4 fields (OSS-77).

    Raises ValueError with a one-line reason when the header is not an OSS signature.
    """
    scheme, _, rest = value.strip().partition(" ")
    if scheme == "OSS":
        ak, sep, signature = rest.strip().rpartition(":")
        if not sep or not ak or not signature:
            raise ValueError("expected 'OSS <AccessKeyId>:<Signature>'")
        return V1Credential(ak, signature)
    if scheme != V4_ALGORITHM:
        raise ValueError(f"unsupported authorization scheme {scheme!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field = part.strip().partition("=")
        if sep:
            fields[name] = field.strip()
    if "Credential" not in fields or "Signature" not in fields:
        raise ValueError("expected Credential=… and Signature=…")
    ak, date, region, product = parse_v4_scope(fields["Credential"])
    extra = tuple(h.strip().lower() for h in fields.get("AdditionalHeaders", "").split(";")
                  if h.strip())
    return V4Credential(ak, date, region, product, extra, fields["Signature"])
