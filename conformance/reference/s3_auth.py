"""Who signed an S3-dialect request: SigV4 in the Authorization header or a presigned query.

(The legacy SigV2 forms are delegated to s3_sigv2.py.)

The signature is recomputed by botocore's own signers (S3SigV4Auth, S3SigV4QueryAuth) over a
botocore AWSRequest rebuilt from the incoming request: the signed headers as received, the path
and query as on the wire, the signing time of the request. No SigV4 arithmetic lives here; this
module applies the policy (which secret, which clock, which error) and compares in constant time.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from . import s3_errors as err
from . import s3_sigv2
from .messages import Request

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
MAX_EXPIRES = 7 * 24 * 3600  # presigned URLs live at most a week
UNSIGNED = ("UNSIGNED-PAYLOAD", "STREAMING-")


@dataclass(frozen=True)
class Scope:
    """`<AK>/<yyyymmdd>/<region>/s3/aws4_request`."""

    access_key_id: str
    date: str
    region: str
    service: str


def parse_scope(credential: str) -> Scope:
    """Split a Credential value; ValueError when it is not a SigV4 scope."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts[:4]):
        raise ValueError(f"invalid credential {credential!r}")
    return Scope(*parts[:4])


def parse_authorization(value: str) -> tuple[Scope, tuple[str, ...], str]:
    """(scope, signed header names, signature) of a SigV4 Authorization header."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ALGORITHM:
        raise ValueError(f"unsupported authorization scheme {scheme!r}")
    fields = {}
    for part in rest.split(","):
        name, sep, field = part.strip().partition("=")
        if sep:
            fields[name] = field.strip()
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise ValueError("expected Credential=, SignedHeaders= and Signature=")
    names = tuple(n for n in fields["SignedHeaders"].lower().split(";") if n)
    return parse_scope(fields["Credential"]), names, fields["Signature"]


def _epoch(timestamp: str) -> float:
    return float(calendar.timegm(time.strptime(timestamp, "%Y%m%dT%H%M%SZ")))


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def rebuild(request: Request, names: tuple[str, ...], query: tuple[tuple[str, str], ...],
            body: bytes) -> AWSRequest:
    """The botocore request a client signed: signed headers as received, wire path and query."""
    headers = {name: request.header(name) or "" for name in names}
    headers.setdefault("host", request.host)
    url = f"http://{request.host}{request.path}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query)
    return AWSRequest(method=request.method, url=url, headers=headers, data=body)


def expected_signature(signer: SigV4Auth, aws_request: AWSRequest,
                       timestamp: str) -> tuple[str, str, str]:
    """(signature, string to sign, canonical request) as botocore computes them at `timestamp`."""
    aws_request.context["timestamp"] = timestamp
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    return signer.signature(string_to_sign, aws_request), string_to_sign, canonical


def check_host(request: Request) -> None:
    """A Host botocore can sign (urlsplit accepts it, with a valid port); 400 otherwise."""
    try:
        urlsplit(f"http://{request.host}{request.path}").port  # noqa: B018 - port validates
    except ValueError:
        raise err.S3Error(400, "InvalidArgument", "The Host header is not a valid host.",
                          extra=(("ArgumentName", "Host"),)) from None


class SigV4Verifier:
    """Checks SigV4 signatures against a fixed key table and region."""

    def __init__(self, credentials: Mapping[str, str], region: str) -> None:
        self.credentials = credentials
        self.region = region

    def authenticate(self, request: Request, now: float) -> str | None:
        """The AccessKeyId of a valid signature, None when the request carries none."""
        header = request.header("Authorization")
        params = request.params
        if header or {"X-Amz-Signature", "X-Amz-Credential", "Signature"} & params.keys():
            check_host(request)  # botocore puts it in a URL: "[" would be an IPv6 error
        if header and header.startswith("AWS "):
            return s3_sigv2.verify_header(request, self.credentials, header, now)
        if header:
            return self._header(request, header, now)
        if "X-Amz-Signature" in params or "X-Amz-Credential" in params:
            return self._query(request, now)
        if "Signature" in params and "AWSAccessKeyId" in params:
            return s3_sigv2.verify_query(request, self.credentials, now)
        return None

    def _secret(self, scope: Scope) -> str:
        secret = self.credentials.get(scope.access_key_id)
        if secret is None:
            raise err.invalid_access_key_id(scope.access_key_id)
        return secret

    def _check_region(self, scope: Scope, query: bool) -> None:
        if scope.region == self.region and scope.service == "s3":
            return
        what = (f"the region '{scope.region}' is wrong; expecting '{self.region}'"
                if scope.region != self.region else f"incorrect service '{scope.service}'")
        if query:
            raise err.query_malformed(f"Error parsing the X-Amz-Credential parameter; {what}")
        raise err.header_malformed(what)

    def _header(self, request: Request, header: str, now: float) -> str:
        try:
            scope, names, provided = parse_authorization(header)
        except ValueError as exc:
            raise err.header_malformed(str(exc)) from None
        secret = self._secret(scope)
        self._check_region(scope, query=False)
        timestamp = request.header("x-amz-date") or ""
        try:
            signed_at = _epoch(timestamp)
        except ValueError:
            raise err.access_denied("AWS authentication requires a valid Date or x-amz-date "
                                    "header") from None
        if abs(now - signed_at) > MAX_SKEW_SECONDS:
            raise err.time_too_skewed()
        if request.header("x-amz-content-sha256") is None:  # S3 requires it with SigV4 headers
            raise err.invalid_request("Missing required header for this request: "
                                      "x-amz-content-sha256")
        self._check_payload(request)
        aws_request = rebuild(request, names, request.query, request.body)
        signer = S3SigV4Auth(Credentials(scope.access_key_id, secret), "s3", scope.region)
        self._compare(signer, aws_request, timestamp, scope, provided)
        return scope.access_key_id

    def _query(self, request: Request, now: float) -> str:
        params = request.params
        if params.get("X-Amz-Algorithm") != ALGORITHM:
            raise err.query_malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        try:
            scope = parse_scope(params.get("X-Amz-Credential", ""))
            signed_at = _epoch(params.get("X-Amz-Date", ""))
            seconds = int(params.get("X-Amz-Expires", ""))
        except ValueError:
            raise err.query_malformed("Query-string authentication version 4 requires the "
                                      "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
                                      "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires "
                                      "parameters.") from None
        if not 0 < seconds <= MAX_EXPIRES:
            raise err.query_malformed("X-Amz-Expires must be less than a week (in seconds) that "
                                      "is 604800")
        secret = self._secret(scope)
        self._check_region(scope, query=True)
        if now > signed_at + seconds:  # expiry is judged before the signature, as AWS does
            raise err.request_expired(_iso(signed_at + seconds), _iso(now), str(seconds))
        names = tuple(n for n in params.get("X-Amz-SignedHeaders", "").lower().split(";") if n)
        query = tuple((k, v) for k, v in request.query if k != "X-Amz-Signature")
        aws_request = rebuild(request, names, query, b"")
        signer = S3SigV4QueryAuth(Credentials(scope.access_key_id, secret), "s3", scope.region)
        timestamp = params["X-Amz-Date"]
        self._compare(signer, aws_request, timestamp, scope, params.get("X-Amz-Signature", ""))
        return scope.access_key_id

    @staticmethod
    def _compare(signer: SigV4Auth, aws_request: AWSRequest, timestamp: str, scope: Scope,
                 provided: str) -> None:
        expected, string_to_sign, canonical = expected_signature(signer, aws_request, timestamp)
        if not hmac.compare_digest(expected.encode(), provided.encode()):
            raise err.signature_mismatch(scope.access_key_id, provided, string_to_sign,
                                         canonical)

    @staticmethod
    def _check_payload(request: Request) -> None:
        # A hex x-amz-content-sha256 is a promise about the body; the signature covers the
        # header, so the body itself must be checked against it.
        declared = request.header("x-amz-content-sha256")
        if declared is None or declared.startswith(UNSIGNED):
            return
        if declared.lower() != hashlib.sha256(request.body).hexdigest():
            raise err.sha256_mismatch()
