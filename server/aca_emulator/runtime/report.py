"""What ARM shows of a running revision: active, replicas, runningState, healthState, trafficWeight.

A revision scaled to zero reports `replicas: 0`, `runningState: "ScaledToZero"` (a value the service returns
beyond the spec's enum - microsoft/vscode-azurecontainerapps#1088 treats it as a successful state) and health
`None`; its replica list is empty.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .traffic import weights

if TYPE_CHECKING:
    from .host import RuntimeView

SCALED_TO_ZERO_DETAILS = "Scaled to zero: no replica runs; the next request starts one and waits for it (cold start)"


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def traffic_weight(runtime: RuntimeView, app_id: str, revision_name: str, active: bool) -> int:
    app = runtime.store.get(app_id)
    if app is None or not active:
        return 0
    configuration = app.body["properties"].get("configuration") or {}
    if configuration.get("activeRevisionsMode", "Single") == "Single":
        return 100
    latest = runtime.latest_ready_revision(app_id) or app.body["properties"].get("latestRevisionName")
    return weights(configuration.get("ingress") or {}, latest).get(revision_name.lower(), 0)


def revision_status(runtime: RuntimeView, app_id: str, revision_name: str) -> dict[str, Any]:
    record = runtime.store.get(f"{app_id}/revisions/{revision_name}")
    active = bool(record and record.body["properties"].get("active"))
    state = runtime.revision_state(app_id, revision_name)
    status: dict[str, Any] = {"active": active, "trafficWeight": traffic_weight(runtime, app_id, revision_name, active),
                              "lastActiveTime": _iso(state.last_active or time.time())}
    replicas = state.replicas
    if not active:
        status.update(replicas=0, runningState="Stopped", healthState="None", runningStateDetails="Deactivated")
    elif not runtime.settings.run_apps:
        status.update(replicas=0, runningState="Running", healthState="Healthy",
                      runningStateDetails="Apps are not run by this emulator (run_apps=False)")
    elif not replicas:
        if state.starting or not state.last_active or state.cold_start:
            status.update(replicas=0, runningState="Activating", healthState="None",
                          runningStateDetails="Provisioning")
        else:
            status.update(replicas=0, runningState="ScaledToZero", healthState="None",
                          runningStateDetails=SCALED_TO_ZERO_DETAILS)
    elif any(r.ready for r in replicas):
        status.update(replicas=len(replicas), runningState="Running", healthState="Healthy",
                      runningStateDetails="Running")
    else:
        details = "; ".join(run.details for replica in replicas for run in replica.containers)
        if any(r.restarts > 0 for r in replicas):
            status.update(replicas=len(replicas), healthState="Unhealthy", runningStateDetails=details,
                          runningState="Degraded" if any(r.ever_ready for r in replicas) else "Failed")
        elif any(r.ever_ready for r in replicas):
            status.update(replicas=len(replicas), runningState="Degraded", healthState="Unhealthy",
                          runningStateDetails=details)
        else:
            status.update(replicas=len(replicas), runningState="Activating", healthState="None",
                          runningStateDetails="Waiting for the startup and readiness probes")
    return status
