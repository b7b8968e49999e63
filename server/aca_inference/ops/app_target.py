"""The app an operation works on, from infra/inference.config.json (written by provision or by hand)."""

from __future__ import annotations

from ..azure.container_apps import AppRef, ContainerApp, ContainerAppGateway
from ..azure.errors import azure_error, is_not_found
from ..errors import InputError
from ..workspace.inference_config import load_config
from ..workspace.paths import INFERENCE_CONFIG
from .context import OperationContext

APP_KEYS = ("SUBSCRIPTION_ID", "RESOURCE_GROUP_NAME", "ACA_APP_NAME")


def app_ref(context: OperationContext) -> AppRef:
    config = load_config(context.root, INFERENCE_CONFIG, required_keys=APP_KEYS)
    return AppRef(str(config.SUBSCRIPTION_ID), str(config.RESOURCE_GROUP_NAME), str(config.ACA_APP_NAME))


async def read_app(apps: ContainerAppGateway) -> ContainerApp:
    ref = apps.ref
    try:
        return await apps.get_app()
    except Exception as error:
        if is_not_found(error):
            raise InputError(f"{INFERENCE_CONFIG}: ACA_APP_NAME: container app '{ref.name}' was not found in resource "
                             f"group '{ref.resource_group}'; run provision or correct the value.") from None
        raise azure_error(error, f"reading container app {ref.name}") from None
