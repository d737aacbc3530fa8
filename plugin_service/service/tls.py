"""Server TLS credentials from PEM files (`--tls-cert`, `--tls-key`).

Server-side TLS only: clients check the server against a CA they trust (`--tls-ca`) and prove
who they are with a bearer token (auth.py), not with client certificates.
"""
from __future__ import annotations

from pathlib import Path

import grpc


def server_credentials(cert: Path, key: Path) -> grpc.ServerCredentials:
    cert_pem, key_pem = Path(cert).read_bytes(), Path(key).read_bytes()
    if b"-----BEGIN" not in cert_pem or b"PRIVATE KEY-----" not in key_pem:
        raise ValueError(f"--tls-cert {cert} / --tls-key {key}: expected a PEM certificate and a PEM private key")
    return grpc.ssl_server_credentials([(key_pem, cert_pem)])
