"""ACA's checks of `configuration.ingress.traffic` (Microsoft.App spec `TrafficWeight`: revisionName, weight,
latestRevision, label), run on every PUT/PATCH of a container app.

- Each entry names a revision (`revisionName`) or the latest ready one (`latestRevision: true`), not both; at most
  one `latestRevision` entry; weights are integers 0-100 and, when traffic is given, sum to 100 (ACA docs,
  "Traffic splitting in Azure Container Apps": "the sum of all traffic weights must equal 100").
- A named revision must exist on the app, or be the revision this request creates (`<app>--<revisionSuffix>`).
- Labels are unique per app, lower-case letters, digits and '-' (they become `<app>---<label>` FQDNs).

The error codes are ours, in ACA's `ContainerApp...` pattern; the service's exact codes for these cases are not
published. Traffic to a revision that exists but is inactive is accepted, as the service does
(microsoft/azure-container-apps#1345): that share of requests then gets 503 "no healthy upstream".
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ArmError

LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _bad(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)


def check_traffic(ingress: dict[str, Any], *, existing: set[str], creating: str | None) -> None:
    """Raises ArmError when the ingress's traffic is not acceptable. `existing`: the app's revision names (lower
    case); `creating`: the revision this request creates, if any."""
    traffic = ingress.get("traffic")
    if traffic is None:
        return
    if not isinstance(traffic, list):
        raise _bad("ContainerAppInvalidSchema", "ingress.traffic must be an array.")
    if not traffic:
        return
    total, latest, labels = 0, 0, set()
    known = existing | ({creating.lower()} if creating else set())
    for index, entry in enumerate(traffic):
        if not isinstance(entry, dict):
            raise _bad("ContainerAppInvalidSchema", f"ingress.traffic[{index}] must be an object.")
        weight = entry.get("weight", 0)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            raise _bad("ContainerAppInvalidTrafficWeight",
                       f"ingress.traffic[{index}].weight must be an integer between 0 and 100, got {weight!r}.")
        total += weight
        name = entry.get("revisionName")
        if entry.get("latestRevision"):
            latest += 1
            if name:
                raise _bad("ContainerAppInvalidTrafficWeight", f"ingress.traffic[{index}]: set either revisionName "
                           "or latestRevision, not both.")
        elif not name:
            raise _bad("ContainerAppInvalidTrafficWeight",
                       f"ingress.traffic[{index}] needs a revisionName or latestRevision: true.")
        elif str(name).lower() not in known:
            raise _bad("ContainerAppRevisionNotFound", f"ingress.traffic[{index}]: revision '{name}' does not exist "
                       "in this container app.")
        label = entry.get("label")
        if label is not None:
            if not isinstance(label, str) or not LABEL.match(label) or len(label) > 64:
                raise _bad("ContainerAppInvalidTrafficLabel", f"ingress.traffic[{index}].label {label!r} is invalid: "
                           "lower-case letters, digits and '-'.")
            if label in labels:
                raise _bad("ContainerAppInvalidTrafficLabel", f"Traffic label '{label}' is used twice.")
            labels.add(label)
    if latest > 1:
        raise _bad("ContainerAppInvalidTrafficWeight", "Only one ingress.traffic entry may set latestRevision.")
    if total != 100:
        raise _bad("ContainerAppInvalidTrafficWeight",
                   f"The traffic weights of ingress.traffic must sum to 100, got {total}.")
