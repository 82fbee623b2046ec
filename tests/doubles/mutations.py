"""Deviations a MutatingProxy can inject into real answers."""


def star_and_no_max_age(method, path, status, headers, body):
    """Answer '*' instead of echoing the origin and drop Max-Age (a common clone bug)."""
    out = []
    for name, value in headers:
        if name.lower() == "access-control-max-age":
            continue
        if name.lower() == "access-control-allow-origin":
            value = "*"
        out.append((name, value))
    return status, out, body


NOT_IMPLEMENTED = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>NotImplemented</Code>"
                   b"<Message>A header you provided implies functionality that is not "
                   b"implemented</Message></Error>")


def refuse_cors_management(method, path):
    """MinIO community edition: PutBucketCors and DeleteBucketCors answer 501."""
    if method in ("PUT", "DELETE") and "?cors" in path:
        return 501, [("Content-Type", "application/xml")], NOT_IMPLEMENTED
    return None


def unchanged(method, path, status, headers, body):
    """Forward answers as they are."""
    return status, headers, body
