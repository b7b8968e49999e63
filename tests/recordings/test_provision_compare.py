"""Provision's property comparison reads a resource as Azure means it: re-provisioning what Azure already holds
plans no update. Each container app and environment body the Azure CLI sent (../shared/azure-recordings) is
compared with Azure's own answer once the write settled: quantities Azure rewrote ('1.0Gi' -> '1Gi'), the
ephemeral storage it assigned, numbers sent as text, enum casing and the defaults it filled are no change."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from aca_inference.ops.provision.compare import differences
from aca_inference.workspace.bicep import Secret

from .cassettes import Interaction, cassette_names, load, missing_reason

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")


def _settled_pairs() -> Iterator[tuple[str, Interaction, dict[str, Any]]]:
    """(cassette, the PUT, Azure's answer to the first GET of that resource once it settled, before any other
    write to it)."""
    for name in cassette_names():
        interactions = load(name)
        for put in interactions:
            if put.method != "PUT" or not 200 <= put.status < 300 or not isinstance(put.request_json(), dict) \
                    or not any(t in put.path.lower() for t in ("/containerapps/", "/managedenvironments/")):
                continue
            for later in interactions[put.index + 1:]:
                if later.path.lower() == put.path.lower() and later.method in ("PUT", "PATCH"):
                    break
                body = later.response_json()
                if later.method == "GET" and later.path.lower() == put.path.lower() and later.status == 200 \
                        and isinstance(body, dict) and body.get("properties", {}).get("provisioningState") in (
                            "Succeeded",):
                    yield name, put, body
                    break


READ_ONLY = {"id", "name", "type", "systemData", "etag"}
READ_ONLY_PROPERTIES = {"provisioningState", "runningStatus", "latestRevisionName", "latestReadyRevisionName",
                        "latestRevisionFqdn", "outboundIpAddresses", "customDomainVerificationId",
                        "eventStreamEndpoint", "defaultDomain", "staticIp", "deploymentErrors"}


def _as_the_bicep_states_it(sent: dict[str, Any]) -> dict[str, Any]:
    """What a bicep can state (the CLI's updates send back the whole GET, read-only fields included) with secure
    values as Secret (ARM never returns them), as the bicep evaluator marks secure parameters."""
    desired = {k: v for k, v in copy.deepcopy(sent).items() if k not in READ_ONLY}
    desired["properties"] = {k: v for k, v in (desired.get("properties") or {}).items()
                             if k not in READ_ONLY_PROPERTIES}
    ingress = (desired["properties"].get("configuration") or {}).get("ingress")
    if isinstance(ingress, dict):
        ingress.pop("fqdn", None)
    configuration = desired.get("properties", {}).get("configuration") or {}
    for secret in configuration.get("secrets") or []:
        if isinstance(secret, dict) and "value" in secret:
            secret["value"] = Secret(str(secret["value"]))
    logs = (desired.get("properties", {}).get("appLogsConfiguration") or {}).get("logAnalyticsConfiguration")
    if isinstance(logs, dict) and "sharedKey" in logs:
        logs["sharedKey"] = Secret(str(logs["sharedKey"]))
    return desired


PAIRS = list(_settled_pairs()) if missing_reason() is None else []


def test_the_recordings_hold_settled_writes_of_apps_and_environments_to_compare() -> None:
    kinds = {("containerapps" in put.path.lower()) for _, put, _ in PAIRS}
    assert len(PAIRS) >= 10 and kinds == {True, False}


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{n.removesuffix('.yaml')}#{p.index}" for n, p, _ in PAIRS])
def test_what_azure_holds_after_a_write_is_no_change_from_what_was_written(
        pair: tuple[str, Interaction, dict[str, Any]]) -> None:
    _, put, answer = pair
    changes = differences(_as_the_bicep_states_it(put.request_json()), answer)
    assert [c.describe() for c in changes] == []


def test_a_real_change_against_a_recorded_answer_is_still_seen() -> None:
    _, put, answer = next(p for p in PAIRS if "containerapps" in p[1].path.lower()
                          and p[2]["properties"]["template"].get("scale"))
    desired = _as_the_bicep_states_it(put.request_json())
    template = desired["properties"].setdefault("template", {})
    template["scale"] = {**(template.get("scale") or {}), "maxReplicas": 7}
    template["containers"][0].setdefault("resources", {})["memory"] = "3.5Gi"
    found = {c.path for c in differences(desired, answer)}
    assert found == {"properties.template.scale.maxReplicas", "properties.template.containers[0].resources.memory"}
