"""Which revision a new connection to the app's endpoint goes to.

Single revision mode: the newest active revision that has been ready (as before: a new revision takes over once it
starts; the previous one is stopped when the new one is activated). Multiple revision mode: `ingress.traffic`,
`[{revisionName, weight, label}, {latestRevision: true, weight}]`, where `latestRevision` means the latest ready
revision ("the latest stable revision", Microsoft.App spec `TrafficWeight`).

The split is per connection, by smooth weighted round robin (deterministic: 70/30 gives exactly 7 of every 10
connections to the first). ACA's Envoy splits per request; here the ingress relays bytes (ingress.py), so a
keep-alive connection stays with the revision it was given - clients that open a connection per request (urllib,
curl, a browser's new tab) see ACA's split, a pooled client sees it across its connections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def weights(ingress: dict[str, Any], latest_ready: str | None) -> dict[str, int]:
    """Revision name (lower case) -> weight, for the entries with a positive weight."""
    resolved: dict[str, int] = {}
    for entry in ingress.get("traffic") or [{"latestRevision": True, "weight": 100}]:
        name = latest_ready if entry.get("latestRevision") else entry.get("revisionName")
        weight = int(entry.get("weight") or 0)
        if name and weight > 0:
            resolved[name.lower()] = resolved.get(name.lower(), 0) + weight
    return resolved


@dataclass
class WeightedTurns:
    """Smooth weighted round robin (as nginx's upstream): each pick adds every weight to its credit and takes the
    largest credit, which then pays the total."""
    credit: dict[str, int] = field(default_factory=dict)

    def pick(self, table: dict[str, int]) -> str | None:
        if not table:
            return None
        for stale in [name for name in self.credit if name not in table]:
            del self.credit[stale]
        total = sum(table.values())
        for name, weight in table.items():
            self.credit[name] = self.credit.get(name, 0) + weight
        chosen = max(table, key=lambda name: self.credit[name])
        self.credit[chosen] -= total
        return chosen
