"""What the GPU costs while it runs, from a dated price table in the package - no network call.

How Azure Container Apps bills each kind (learn.microsoft.com/azure/container-apps/billing and
workload-profiles-overview, ms.date 2025-11-04):
* a serverless GPU profile (Consumption-GPU-NC8as-T4, Consumption-GPU-NC24-A100) runs one GPU per replica and is
  billed per second while a replica runs (GPU-seconds with the replica's vCPU- and GiB-seconds); scaled to zero,
  nothing is billed;
* a Dedicated GPU profile is billed per node (instance) for every hour it runs, plus the Dedicated plan's
  management fee ($0.10/hour), whatever the replicas on it do.

The figures are ESTIMATES in USD, East US, Linux pay-as-you-go: the price of the VM size each profile's GPU share
is built on (serverless T4 = one Standard_NC8as_T4_v3, 8 vCPU / 56 GiB; A100 = Standard_NC24ads_A100_v4 and its
2x / 4x sizes), from Azure's retail VM prices for eastus as retrieved 2026-11-09 (NC24ads_A100_v4 $3.673,
NC48ads $9.554, NC96ads $19.108 an hour) and NC8as_T4_v3's $0.752 an hour quoted in 2026. ACA meters serverless GPUs
by its own GPU-second price, which the VM-size figure only approximates.
The Azure Retail Prices API is the authority and prices vary by region and currency: check
https://azure.microsoft.com/pricing/details/container-apps/ before committing.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-11 (estimate, USD)"
PRICE_SOURCE = "https://azure.microsoft.com/pricing/details/container-apps/"
HOURS_PER_MONTH = 730  # Azure's pricing convention
MANAGEMENT_FEE_PER_HOUR = 0.10  # Dedicated plan only
# profile type (lower case) -> (GPU, USD per node-hour without the management fee)
GPU_PROFILES: dict[str, tuple[str, float]] = {
    "nc24-a100": ("1x NVIDIA A100 80GB", 3.673),
    "nc48-a100": ("2x NVIDIA A100 80GB", 9.554),
    "nc96-a100": ("4x NVIDIA A100 80GB", 19.108),
}
# serverless profile type (lower case) -> (GPU of one replica, USD per GPU-hour while a replica runs)
SERVERLESS_GPU_PROFILES: dict[str, tuple[str, float]] = {
    "consumption-gpu-nc8as-t4": ("1x NVIDIA T4 16GB per replica", 0.752),
    "consumption-gpu-nc24-a100": ("1x NVIDIA A100 80GB per replica", 3.673),
}


def is_serverless_gpu(profile_type: str) -> bool:
    """Serverless GPU profiles: one GPU per replica, billed per second of use, no node count."""
    return profile_type.lower().startswith("consumption-gpu-")


@dataclass(frozen=True)
class GpuCost:
    profile_name: str
    profile_type: str
    gpu: str
    min_replicas: int
    max_replicas: int
    max_nodes: int  # dedicated: the profile's maximumCount; serverless: one GPU per replica, maxReplicas
    per_hour: float | None  # per node-hour (dedicated, fee included) or per GPU-hour (serverless); None: unpriced
    serverless: bool = False

    @property
    def per_node_hour(self) -> float | None:
        """Dedicated profiles only: what one node costs per hour it runs."""
        return None if self.serverless else self.per_hour

    @property
    def per_second(self) -> float | None:
        return None if self.per_hour is None else self.per_hour / 3600

    @property
    def scales_to_zero(self) -> bool:
        return self.min_replicas == 0

    @property
    def always_on_month(self) -> float | None:
        """What minReplicas costs a month whether or not anyone calls the app (None: scales to zero or unpriced)."""
        if self.scales_to_zero or self.per_hour is None:
            return None
        return self.per_hour * HOURS_PER_MONTH * self.min_replicas

    def row(self) -> dict[str, object]:
        """The plan's JSON cost entry."""
        return {"profile": self.profile_name, "type": self.profile_type, "min_replicas": self.min_replicas,
                "max_replicas": self.max_replicas, "max_nodes": self.max_nodes, "per_node_hour": self.per_node_hour,
                "per_hour": self.per_hour, "per_second": self.per_second,
                "billing": "per-second" if self.serverless else "per-node-hour",
                "scales_to_zero": self.scales_to_zero, "prices_as_of": PRICES_AS_OF}

    def lines(self) -> list[str]:
        if self.serverless:
            head = (f"GPU: serverless workload profile {self.profile_name} ({self.profile_type}, {self.gpu}), "
                    f"replicas {self.min_replicas}-{self.max_replicas}, at most {self.max_replicas} GPU(s) at once.")
        else:
            head = (f"GPU: workload profile {self.profile_name} ({self.profile_type}, {self.gpu}), replicas "
                    f"{self.min_replicas}-{self.max_replicas}, at most {self.max_nodes} node(s).")
        return [head, self._price(), self._running()]

    def _price(self) -> str:
        if self.per_hour is None:
            return (f"  Price: {self.profile_type} is not in the price table ({PRICES_AS_OF}); see {PRICE_SOURCE}.")
        hour = self.per_hour
        if self.serverless:
            return (f"  Price: billed per second while a replica runs: about ${hour / 3600:.5f} per GPU-second "
                    f"(${hour:.2f} per GPU-hour), nothing while scaled to zero ({PRICES_AS_OF}; source in the docs).")
        return (f"  Price: billed per node-hour for each of up to {self.max_nodes} node(s) while it runs: about "
                f"${hour:.2f} per node-hour (${hour / 3600:.5f} per second), ${hour * HOURS_PER_MONTH:,.0f} per "
                f"node-month ({PRICES_AS_OF}, management fee included; source in the docs).")

    def _running(self) -> str:
        unit = "GPU" if self.serverless else "GPU node"
        if self.scales_to_zero:
            return (f"  Scales to zero: no {unit} is billed while the app is idle; the first request after idling "
                    "waits for a cold start (minutes).")
        monthly = self.always_on_month
        cost = "" if monthly is None else f", about ${monthly:,.0f} a month"
        return (f"  Always on: minReplicas {self.min_replicas} keeps {self.min_replicas} {unit}(s) running all "
                f"month{cost}, whether or not anyone calls it. Set minReplicas to 0 to pay only while it serves.")


def gpu_cost(profile_name: str, profile_type: str, min_replicas: int, max_replicas: int,
             max_nodes: int) -> GpuCost:
    kind = profile_type.lower()
    if is_serverless_gpu(kind):
        serverless = SERVERLESS_GPU_PROFILES.get(kind)
        return GpuCost(profile_name, profile_type, serverless[0] if serverless else "1 GPU per replica",
                       min_replicas, max_replicas, max_replicas, serverless[1] if serverless else None,
                       serverless=True)
    dedicated = GPU_PROFILES.get(kind)
    per_hour = dedicated[1] + MANAGEMENT_FEE_PER_HOUR if dedicated else None
    return GpuCost(profile_name, profile_type, dedicated[0] if dedicated else "GPU", min_replicas, max_replicas,
                   max_nodes, per_hour)
