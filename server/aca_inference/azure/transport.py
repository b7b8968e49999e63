"""An aiohttp transport that keeps its connections.

azure-core's AioHttpTransport builds a new `ssl.SSLContext` for every request when `connection_verify` is a
CA bundle path (how the emulator's local CA is trusted), and aiohttp pools connections per SSL context: no
connection is ever reused and every request pays a TLS handshake plus loading the CA file. Caching the
context per (cert, verify) keeps the pool working - for a thousand small uploads that is the difference
between ~90 and several hundred files per second.

It also reads proxy settings and ~/.netrc from the environment only where there are some: aiohttp with
`trust_env` looks both up in worker threads on every request (two thread hops per request), which for many
small requests on loopback costs more than the request itself.
"""

from __future__ import annotations

from typing import Any


def _environment_has_settings() -> bool:
    import os
    import urllib.request

    netrc = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    return bool(urllib.request.getproxies()) or os.path.exists(netrc)


def pooled_transport(**kwargs: Any) -> Any:
    from azure.core.pipeline.transport import AioHttpTransport

    kwargs.setdefault("use_env_settings", _environment_has_settings())

    class PooledTlsTransport(AioHttpTransport):  # type: ignore[misc]
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self._ssl_configs: dict[Any, Any] = {}

        def _build_ssl_config(self, cert: Any, verify: Any) -> Any:
            key = (tuple(cert) if isinstance(cert, list | tuple) else cert, verify)
            if key not in self._ssl_configs:
                self._ssl_configs[key] = super()._build_ssl_config(cert, verify)
            return self._ssl_configs[key]

    return PooledTlsTransport(**kwargs)
