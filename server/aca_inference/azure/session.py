"""One place that builds Azure clients: for the real cloud or for the local emulator, same code path.

`open_session(target)` resolves where Azure is (starting the local emulator when needed) and which
credential to use; the session hands out async SDK clients bound to that endpoint and TLS trust.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .arm_resources import ArmResources
from .credentials import ClientTokenCredential, EmulatorCredential, check_signed_in
from .endpoints import AZURE_MANAGEMENT, cloud_files_url
from .target import TargetSettings

if TYPE_CHECKING:
    from .share_store import ShareStore

STORAGE_SCOPE = "https://storage.azure.com/.default"


def share_client_options(*, connection_verify: str | bool = True) -> dict[str, Any]:
    """Keyword arguments for one `azure.storage.fileshare.aio.ShareClient(...)` (call once per client: it holds
    the client's transport): azure-core's retry policy tuned for many small parallel requests (see retry.py) and
    a transport that keeps its TLS connections when `connection_verify` is a CA path (see transport.py)."""
    from .retry import files_retry_policy
    from .transport import pooled_transport

    return {"retry_policy": files_retry_policy(), "connection_verify": connection_verify,
            "transport": pooled_transport(connection_verify=connection_verify)}


@dataclass
class AzureSession:
    management_endpoint: str
    credential: Any
    connection_verify: str | bool
    is_emulator: bool
    files_endpoint: str | None = None
    default_subscription: str | None = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return (AZURE_MANAGEMENT if not self.is_emulator else self.management_endpoint) + "/.default"

    def _options(self) -> dict[str, Any]:
        from .retry import arm_client_options
        from .transport import pooled_transport

        # One transport per client that keeps its TLS connections (see transport.py); retries in retry.py.
        options: dict[str, Any] = {"connection_verify": self.connection_verify,
                                   "transport": pooled_transport(connection_verify=self.connection_verify),
                                   **arm_client_options()}
        if self.is_emulator:
            options["base_url"] = self.management_endpoint
            options["credential_scopes"] = [self.scope]
        return options

    def _cached(self, kind: str, scope: str, build: Any) -> Any:
        """One client per (service, subscription): they share connections and are closed with the session."""
        key = (kind, scope)
        if key not in self._clients:
            self._clients[key] = build()
        return self._clients[key]

    def subscriptions(self) -> Any:
        from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

        return self._cached("subscriptions", "", lambda: SubscriptionClient(self.credential, **self._options()))

    def resources(self, subscription_id: str) -> Any:
        from azure.mgmt.resource.resources.aio import ResourceManagementClient

        return self._cached("resources", subscription_id,
                            lambda: ResourceManagementClient(self.credential, subscription_id, **self._options()))

    def arm(self, subscription_id: str) -> ArmResources:
        """Any resource by id at the api-version a template declares (what an ARM deployment sends)."""
        return ArmResources(self.resources(subscription_id))

    def storage(self, subscription_id: str) -> Any:
        from azure.mgmt.storage.aio import StorageManagementClient

        return self._cached("storage", subscription_id,
                            lambda: StorageManagementClient(self.credential, subscription_id, **self._options()))

    def log_analytics(self, subscription_id: str) -> Any:
        from azure.mgmt.loganalytics.aio import LogAnalyticsManagementClient

        return self._cached("logs", subscription_id,
                            lambda: LogAnalyticsManagementClient(self.credential, subscription_id, **self._options()))

    def container_apps(self, subscription_id: str) -> Any:
        from azure.mgmt.appcontainers.aio import ContainerAppsAPIClient

        return self._cached("apps", subscription_id,
                            lambda: ContainerAppsAPIClient(self.credential, subscription_id, **self._options()))

    def files_account_url(self, account: str) -> str:
        return f"{self.files_endpoint}/{account}" if self.files_endpoint else cloud_files_url(account)

    def share(self, account: str, account_key: str, share_name: str, **options: Any) -> ShareStore:
        """A data-plane share client authenticated with the account key (SharedKey)."""
        from azure.storage.fileshare.aio import ShareClient

        verify = options.get("connection_verify", self.connection_verify)
        options = {**share_client_options(connection_verify=verify), **options}
        client = ShareClient(self.files_account_url(account), share_name,
                             credential={"account_name": account, "account_key": account_key}, **options)
        self._clients[("share", f"{account}/{share_name}/{id(client)}")] = client
        return client

    async def close(self) -> None:
        for client in reversed(list(self._clients.values())):
            await client.close()
        self._clients.clear()
        await self.credential.close()


async def _emulator_session(target: TargetSettings) -> AzureSession:
    from . import local_emulator

    data_dir = (target.emulator_data_dir or local_emulator.default_data_dir()).expanduser().resolve()
    info = await local_emulator.start(data_dir)
    return AzureSession(management_endpoint=info.management_endpoint, credential=EmulatorCredential(),
                        connection_verify=str(info.ca_path), is_emulator=True,
                        files_endpoint=info.files_endpoint, default_subscription=info.subscription_id)


async def _cloud_session(target: TargetSettings) -> AzureSession:
    if target.token_provider is not None:
        credential: Any = ClientTokenCredential(target.token_provider)
    else:
        import os

        from azure.identity.aio import DefaultAzureCredential

        # Managed identity is only tried where a host advertises it: elsewhere its probe of the instance
        # metadata endpoint costs seconds of time-outs before the real "not signed in" answer.
        managed = any(os.environ.get(v) for v in ("IDENTITY_ENDPOINT", "MSI_ENDPOINT", "ACA_INFERENCE_MANAGED_IDENTITY"))
        credential = DefaultAzureCredential(exclude_interactive_browser_credential=True,
                                            exclude_managed_identity_credential=not managed)
    session = AzureSession(management_endpoint=AZURE_MANAGEMENT, credential=credential,
                           connection_verify=True, is_emulator=False)
    try:
        await check_signed_in(credential, session.scope)
    except BaseException:
        await credential.close()
        raise
    return session


@asynccontextmanager
async def open_session(target: TargetSettings) -> AsyncIterator[AzureSession]:
    session = await (_emulator_session(target) if target.kind == "local" else _cloud_session(target))
    try:
        yield session
    finally:
        await session.close()
