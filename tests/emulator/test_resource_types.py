"""The one table of resource types and api-versions: every type and every ARM route answers from it."""

from __future__ import annotations

from typing import Any, cast

from aca_emulator.arm import containerapps, environments, loganalytics, resources, storage
from aca_emulator.arm.context import ArmContext
from aca_emulator.arm.routing import Router
from aca_emulator.resource_types import API_VERSIONS, RESOURCE_TYPES


class _Operations:
    """Only what registering needs: the finishers each provider hands over."""

    def __init__(self) -> None:
        self.finishers: dict[tuple[str, str], Any] = {}

    def on_finish(self, resource_type: str, action: str, finisher: Any) -> None:
        self.finishers[(resource_type.lower(), action)] = finisher


def _registered() -> tuple[Router, _Operations]:
    operations = _Operations()
    # The narrow context is enough to build every handler: nothing here starts a server or a store.
    ctx = ArmContext(store=cast(Any, None), operations=cast(Any, operations), settings=cast(Any, None),
                     runtime=cast(Any, None), endpoints=cast(Any, None), app_tokens={}, shares=cast(Any, None))
    router = Router()
    for module in (resources, storage, loganalytics, environments, containerapps):
        module.register(router, ctx)
    return router, operations


def test_every_resource_type_is_listed_once_and_its_provider_has_api_versions() -> None:
    names = [kind.type.lower() for kind in RESOURCE_TYPES]
    assert len(names) == len(set(names))
    assert all(kind.provider in API_VERSIONS for kind in RESOURCE_TYPES)


def test_every_arm_route_checks_its_api_version_against_the_table() -> None:
    router, _ = _registered()
    assert router.routes
    assert {route.provider for route in router.routes} <= set(API_VERSIONS) | {"any"}


def test_every_long_running_type_has_its_finishers() -> None:
    _, operations = _registered()
    assert set(operations.finishers) == {
        ("microsoft.resources/resourcegroups", "delete"),
        ("microsoft.storage/storageaccounts", "create"),
        ("microsoft.operationalinsights/workspaces", "create"),
        ("microsoft.app/managedenvironments", "create"), ("microsoft.app/managedenvironments", "update"),
        ("microsoft.app/managedenvironments", "delete"),
        ("microsoft.app/containerapps", "create"), ("microsoft.app/containerapps", "update"),
        ("microsoft.app/containerapps", "delete"),
    }
