"""Health probes of the template (startup, readiness, liveness; HTTP or TCP), executed against the replica's
own ports through its network (network.py: the relay in its namespace, or the host port it was given).

Timing: until a container has been ready once, probes run at `period * time_scale` (at least every 50 ms, at
most every `period`), so a ready app is noticed fast (deploy waits on it; tests stay fast). Once it has been ready,
readiness and liveness run at the probe's real `periodSeconds`, ACA's cadence: a scaled period would probe a
running app every 0.5 s at time scale 0.1 (readiness period 5 s) for its whole life, filling its log with probe
lines and loading it with requests nobody sent; losing readiness (or liveness) is then noticed after
`failureThreshold x periodSeconds`, as on ACA. Failure budgets stay in real seconds (`initialDelay * time_scale + period * failureThreshold`
for startup, `failureThreshold` consecutive failures for readiness/liveness), because they model how long an
app may take to load, which is real time locally too. At time scale 1 both are ACA's. Without probes but with
ingress, ACA's defaults apply: TCP probes on the target port (startup: period 1 s, 240 failures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .network import ReplicaNetwork, Unreachable, http_status


@dataclass(frozen=True)
class Probe:
    kind: str  # Startup | Readiness | Liveness
    http_path: str | None
    port: int  # the container's port, as the template names it
    scheme: str
    headers: tuple[tuple[str, str], ...]
    initial_delay: float
    period: float
    timeout: float
    failure_threshold: int
    success_threshold: int

    def cadence(self, time_scale: float) -> float:
        return min(self.period, max(0.05, self.period * time_scale))


def parse_probes(container: dict[str, Any], *, target_port: int | None) -> dict[str, Probe]:
    probes: dict[str, Probe] = {}
    for raw in container.get("probes") or []:
        http = raw.get("httpGet")
        tcp = raw.get("tcpSocket")
        action = http or tcp or {}
        port = action.get("port") if action.get("port") is not None else target_port
        probes[raw["type"]] = Probe(
            kind=raw["type"], http_path=(http.get("path") or "/") if http else None, port=int(port or 0),
            scheme=str((http or {}).get("scheme") or "HTTP").lower(),
            headers=tuple((h["name"], h["value"]) for h in (http or {}).get("httpHeaders") or []),
            initial_delay=float(raw.get("initialDelaySeconds") or 0), period=float(raw.get("periodSeconds") or 10),
            timeout=float(raw.get("timeoutSeconds") or 1), failure_threshold=int(raw.get("failureThreshold") or 3),
            success_threshold=int(raw.get("successThreshold") or 1))
    if target_port is not None:
        defaults = {"Startup": (1.0, 240), "Readiness": (5.0, 48), "Liveness": (10.0, 3)}
        for kind, (period, failures) in defaults.items():
            if kind not in probes and not probes:
                probes[kind] = Probe(kind=kind, http_path=None, port=target_port, scheme="http", headers=(),
                                     initial_delay=0.0, period=period, timeout=1.0, failure_threshold=failures,
                                     success_threshold=1)
    return probes


async def check(probe: Probe, network: ReplicaNetwork) -> bool:
    if probe.http_path is None:
        try:
            _, writer = await network.open(probe.port, timeout=probe.timeout)
        except (Unreachable, OSError, TimeoutError):
            return False
        writer.close()
        return True
    status = await http_status(network, probe.port, probe.http_path, headers=dict(probe.headers),
                               https=probe.scheme == "https", timeout=probe.timeout)
    return status is not None and 200 <= status < 400
