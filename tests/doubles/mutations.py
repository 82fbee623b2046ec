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
