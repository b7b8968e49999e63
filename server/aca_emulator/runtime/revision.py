"""A revision as it runs: its replicas (each a supervised group of processes with its own network namespace and
log), the demand its ingress sees (scaling.py), and how a connection reaches one of its ready replicas."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .ingress import Route, Upstream
from .replica import Replica
from .scaling import Demand

# ACA's ingress request timeout (240 s, "Ingress in Azure Container Apps"): how long a request waits for a revision
# that starts from zero replicas, the longest it could wait on ACA.
COLD_START_HOLD = 240.0


def _no_wake() -> bool:
    return False


def _no_hold() -> float:
    return 0.0


@dataclass
class RevisionState:
    name: str
    replicas: list[Replica] = field(default_factory=list)
    starting: int = 0  # replicas being prepared (venv), not in `replicas` yet
    last_active: float = 0.0
    ever_ready: bool = False
    demand: Demand = field(default_factory=Demand)
    cold_start: bool = False  # a request woke it from zero replicas and no replica is ready yet
    target_port: int = 80
    wake: Callable[[], bool] = _no_wake  # starts one replica when the revision is active and has none
    hold: Callable[[], float] = _no_hold  # the ingress hold for a warm start (settings.ingress_hold)
    connections: dict[str, int] = field(default_factory=dict)  # replica name -> connections it serves now
    _turn: int = 0

    @property
    def count(self) -> int:
        return len(self.replicas) + self.starting

    def newest_ready(self) -> Replica | None:
        ready = [r for r in self.replicas if r.ready and r.network is not None]
        return max(ready, key=lambda r: r.created) if ready else None

    # the ingress's Destination
    def enter(self) -> float:
        self.demand.opened()
        if self.count == 0 and self.wake():
            self.cold_start = True
        return max(self.hold(), COLD_START_HOLD) if self.cold_start else self.hold()

    def route(self) -> Route:
        ready = [r for r in self.replicas if r.ready and r.network is not None]
        if ready:
            self.cold_start = False
            self.ever_ready = True
            self._turn += 1
            replica = ready[self._turn % len(ready)]
            assert replica.network is not None
            return Route(Upstream(replica.network, self.target_port), starting=False, replica=replica.name)
        return Route(None, starting=self.count > 0)

    def connected(self, route: Route) -> None:
        if route.replica is not None:
            self.connections[route.replica] = self.connections.get(route.replica, 0) + 1

    def leave(self, route: Route | None) -> None:
        self.demand.closed()
        self.last_active = time.time()
        if route is not None and route.replica is not None:
            left = self.connections.get(route.replica, 0) - 1
            if left > 0:
                self.connections[route.replica] = left
            else:
                self.connections.pop(route.replica, None)

    def busy(self, replica: Replica) -> int:
        return self.connections.get(replica.name, 0)
