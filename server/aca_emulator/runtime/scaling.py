"""How many replicas a revision runs, decided as ACA's KEDA-based scaler does (ACA docs, "Set scaling rules in Azure
Container Apps"; Microsoft.App spec, `Scale`):

- Limits: `minReplicas` (default 0) to `maxReplicas` (default 10).
- The HTTP rule: `rules[].http.metadata.concurrentRequests` (default 10 when the app has no HTTP rule) - desired
  replicas = ceil(concurrent requests / concurrentRequests), sampled every `pollingInterval` (default 30 s).
- Scale in (down to `minReplicas`, to zero when it is 0) only after `cooldownPeriod` (default 300 s, "KEDA Cooldown
  Period ... Defaults to 300 seconds if not set") without demand for the replicas running.
- A new (or re-activated) revision starts with at least one replica, even with `minReplicas` 0, and scales to zero
  only after the cooldown, as on ACA (a revision shows replicas right after deployment, then ScaledToZero).

Both periods are scaled by the emulator's time scale. The cooldown never drops below `scale_in_floor` real seconds
(30 s by default: exactly ACA's 300 s at the default time scale 0.1), because at test scales (0.001) 0.3 s would
stop an app between two steps of any flow that reads its logs or replicas; tests of scale-to-zero lower the floor.

Concurrency is counted per connection at the ingress (an L4 relay, see ingress.py): a keep-alive connection counts
while it is open, so an idle keep-alive client holds one replica's worth of demand, as a slow request would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_REPLICAS = 10
DEFAULT_CONCURRENCY = 10
DEFAULT_COOLDOWN = 300.0
DEFAULT_POLLING = 30.0
MIN_TICK = 0.05


@dataclass(frozen=True)
class ScalePlan:
    """A revision's scale settings, in the emulator's real seconds."""
    min_replicas: int
    max_replicas: int
    concurrency: int
    cooldown: float
    polling: float

    @classmethod
    def of(cls, template: dict[str, Any], *, time_scale: float, floor: float) -> ScalePlan:
        scale = template.get("scale") or {}
        low = int(scale.get("minReplicas") or 0)
        high = int(scale.get("maxReplicas") or DEFAULT_MAX_REPLICAS)
        concurrency = DEFAULT_CONCURRENCY
        for rule in scale.get("rules") or []:
            http = rule.get("http") if isinstance(rule, dict) else None
            if isinstance(http, dict):
                value = (http.get("metadata") or {}).get("concurrentRequests")
                if value is not None and str(value).isdigit() and int(value) > 0:
                    concurrency = int(value)
        cooldown = float(scale.get("cooldownPeriod") or DEFAULT_COOLDOWN)
        polling = float(scale.get("pollingInterval") or DEFAULT_POLLING)
        return cls(min_replicas=low, max_replicas=max(1, high), concurrency=concurrency,
                   cooldown=max(floor, cooldown * time_scale),
                   polling=min(polling, max(MIN_TICK, polling * time_scale)))


@dataclass
class Demand:
    """What the ingress saw of one revision: connections open now, the most open at once since the last poll, and
    when the replicas running were last all needed."""
    inflight: int = 0
    peak: int = 0
    last_needed: float = 0.0
    next_poll: float = 0.0

    def opened(self) -> None:
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)

    def closed(self) -> None:
        self.inflight = max(0, self.inflight - 1)


def decide(plan: ScalePlan, demand: Demand, current: int, now: float) -> int:
    """The replica count the revision should have now (`current` counts replicas running and starting)."""
    load = max(demand.peak, demand.inflight)
    demand.peak = demand.inflight
    wanted = math.ceil(load / plan.concurrency)
    target = min(plan.max_replicas, max(plan.min_replicas, wanted))
    if wanted >= current or target >= current:
        demand.last_needed = now
    if target > current:
        return target
    if target < current and now - demand.last_needed >= plan.cooldown:
        return target
    return current
