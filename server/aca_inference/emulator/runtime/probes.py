"""Health probes of the template (startup, readiness, liveness; HTTP or TCP), executed against the local port.

Timing: probes run at `period * time_scale` (at least every 50 ms, at most every `period`), so a ready app is
noticed fast; failure budgets stay in real seconds (`initialDelay * time_scale + period * failureThreshold`
for startup, `failureThreshold` consecutive failures for readiness/liveness), because they model how long an
app may take to load, which is real time locally too. Without probes but with ingress, ACA's defaults apply:
TCP probes on the target port (startup: period 1 s, 240 failures).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Probe:
    kind: str  # Startup | Readiness | Liveness
    http_path: str | None
    port: int
    scheme: str
    headers: tuple[tuple[str, str], ...]
    initial_delay: float
    period: float
    timeout: float
    failure_threshold: int
    success_threshold: int

    def cadence(self, time_scale: float) -> float:
        return min(self.period, max(0.05, self.period * time_scale))


def parse_probes(container: dict[str, Any], *, target_port: int | None, local_port: int) -> dict[str, Probe]:
    def local(port: Any) -> int:
        if port is None or port == target_port:
            return local_port
        return int(port)

    probes: dict[str, Probe] = {}
    for raw in container.get("probes") or []:
        http = raw.get("httpGet")
        tcp = raw.get("tcpSocket")
        action = http or tcp or {}
        probes[raw["type"]] = Probe(
            kind=raw["type"], http_path=(http.get("path") or "/") if http else None, port=local(action.get("port")),
            scheme=str((http or {}).get("scheme", "HTTP")).lower(),
            headers=tuple((h["name"], h["value"]) for h in (http or {}).get("httpHeaders") or []),
            initial_delay=float(raw.get("initialDelaySeconds", 0)), period=float(raw.get("periodSeconds", 10)),
            timeout=float(raw.get("timeoutSeconds", 1)), failure_threshold=int(raw.get("failureThreshold", 3)),
            success_threshold=int(raw.get("successThreshold", 1)))
    if target_port is not None:
        defaults = {"Startup": (1.0, 240), "Readiness": (5.0, 48), "Liveness": (10.0, 3)}
        for kind, (period, failures) in defaults.items():
            if kind not in probes and not probes:
                probes[kind] = Probe(kind=kind, http_path=None, port=local_port, scheme="http", headers=(),
                                     initial_delay=0.0, period=period, timeout=1.0, failure_threshold=failures,
                                     success_threshold=1)
    return probes


async def check(probe: Probe, session: aiohttp.ClientSession) -> bool:
    try:
        if probe.http_path is None:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", probe.port), probe.timeout)
            writer.close()
            return True
        url = f"{'https' if probe.scheme == 'https' else 'http'}://127.0.0.1:{probe.port}{probe.http_path}"
        async with session.get(url, headers=dict(probe.headers), ssl=False, allow_redirects=False,
                               timeout=aiohttp.ClientTimeout(total=probe.timeout)) as response:
            await response.read()
            return 200 <= response.status < 400
    except (TimeoutError, OSError, aiohttp.ClientError):
        return False
