"""The emulator's HTTPS identity: a local CA and a server certificate for 127.0.0.1/localhost, both kept in
the data dir so clients can trust `ca.pem` across restarts (azure-core refuses bearer tokens over http)."""

from __future__ import annotations

import ssl
from pathlib import Path

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_FILE = "server.pem"  # certificate chain + private key


def ensure_certificates(data_dir: Path) -> tuple[Path, Path]:
    """Returns (ca_path, server_pem_path), creating them on first use."""
    tls_dir = data_dir / "tls"
    ca_path, server_path = tls_dir / CA_FILE, tls_dir / SERVER_FILE
    if ca_path.is_file() and server_path.is_file():
        return ca_path, server_path
    import trustme

    tls_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="ACA Inference local emulator")
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    (tls_dir / CA_KEY_FILE).write_bytes(ca.private_key_pem.bytes())
    (tls_dir / CA_KEY_FILE).chmod(0o600)
    server_tmp = server_path.with_suffix(".tmp")
    server_tmp.write_bytes(cert.private_key_and_cert_chain_pem.bytes())
    server_tmp.chmod(0o600)
    server_tmp.replace(server_path)
    ca.cert_pem.write_to_path(str(ca_path))
    return ca_path, server_path


def server_context(server_pem: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(server_pem))
    return context


def client_context(ca_path: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_path))
