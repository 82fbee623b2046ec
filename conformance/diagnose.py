"""One line that says why a target cannot be used, and what to do about it.

A run that cannot start (unreachable endpoint, refused credentials, missing bucket) judges
nothing: it stops after the first attempt with this line instead of failing every item.
"""

from __future__ import annotations

from .errors import ConformanceError, ProvisioningError
from .targets import Target

_CREDENTIAL_CODES = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied",
                     "InvalidSecurity", "AuthorizationHeaderMalformed", "InvalidArgument",
                     "RequestTimeTooSkewed"}
_UNREACHABLE = ("Connection refused", "Name or service not known", "timed out",
                "No route to host", "Temporary failure in name resolution", "request error",
                "Connection reset", "Network is unreachable", "nodename nor servname")


def unusable_target_line(exc: ConformanceError, target: Target) -> str:
    """`exc` (a failed start) as one line naming the cause and a fix."""
    where = target.endpoint or "the embedded reference endpoint"
    if not isinstance(exc, ProvisioningError):
        return f"the target cannot be used: {exc}"
    if not exc.status and any(marker in exc.message for marker in _UNREACHABLE):
        return (f"cannot reach {where} ({_first_clause(exc.message)}): is the server running, "
                "and are the scheme, host and port right?")
    if exc.status in (400, 401, 403) and exc.code in _CREDENTIAL_CODES:
        return (f"{where} refuses the credentials ({exc.operation}: {exc.status} {exc.code}): "
                f"check ${target.key_env} and ${target.secret_name}, the region "
                f"({target.region_name})" + (
                    f" and the signature version ({target.signature_version})"
                    if target.dialect == "oss" else "") + f", for the {target.dialect} dialect")
    if exc.code == "NoSuchBucket" and target.bucket_policy == "existing":
        return (f"bucket {target.bucket} does not exist at {where} ({exc.operation}: "
                f"{exc.status} NoSuchBucket): check --bucket, or drop it to let the run "
                "create a bucket of its own")
    return f"the target cannot be used: {exc}"


def _first_clause(message: str) -> str:
    """'request error: [Errno 111] Connection refused.' -> 'Connection refused'."""
    for marker in _UNREACHABLE:
        if marker in message and marker != "request error":
            return marker.lower()
    return message.rstrip(".")
