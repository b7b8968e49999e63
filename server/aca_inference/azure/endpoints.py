"""URLs: the app's endpoint from its ingress FQDN, portal links, storage account URLs."""

from __future__ import annotations

AZURE_MANAGEMENT = "https://management.azure.com"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def app_url(fqdn: str) -> str:
    """ACA reports the FQDN without a scheme; the emulator's apps serve plain HTTP on loopback."""
    from urllib.parse import urlsplit

    host = urlsplit(f"//{fqdn}").hostname or ""  # "[::1]:8080" -> "::1", "127.0.0.1:8080" -> "127.0.0.1"
    return f"http://{fqdn}" if host in LOOPBACK_HOSTS else f"https://{fqdn}"


def portal_link(resource_id: str) -> str:
    return f"https://portal.azure.com/#@/resource{resource_id}"


def cloud_files_url(account: str) -> str:
    return f"https://{account}.file.core.windows.net"
