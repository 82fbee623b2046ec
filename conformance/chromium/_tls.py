"""A throw-away self-signed certificate, so HTTPS page origins can be served on loopback.

Chromium is started with ``--ignore-certificate-errors``, so any certificate will do; the key is
made fresh per session, lives in a private temporary folder and is never written elsewhere.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import ssl
import tempfile

__all__ = ["tls_available", "server_context"]


def tls_available() -> bool:
    """Whether the ``cryptography`` package (needed to make the certificate) is installed."""
    return importlib.util.find_spec("cryptography") is not None


def server_context() -> ssl.SSLContext:
    """A TLS server context with a fresh self-signed certificate for any host name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())  # fast to make, unlike RSA
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oss-cors-conformance page")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="conformance-tls-") as folder:
        # load_cert_chain reads files only; they exist for the blink of this block (mode 0700).
        cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert_path, "wb") as fh:
            fh.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as fh:
            fh.write(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
        ctx.load_cert_chain(cert_path, key_path)
    return ctx
