"""What the GPU costs while it runs, from a dated price table in the package - no network call.

Figures: Azure Container Apps bills a Dedicated workload profile per node (instance) while it runs, plus the
Dedicated plan management fee. The per-node figures below are ESTIMATES: the pay-as-you-go price of the VM
size each GPU profile is built on (NCads A100 v4, Linux, East US, Azure's public VM price list as of
2024-11) plus the Dedicated plan management fee ($0.10/hour). The Azure Retail Prices API is the
authority and prices vary by region and currency: check https://azure.microsoft.com/pricing/details/container-apps/
before committing. The table is used for every region ACA offers these profiles in.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2024-11 (estimate, USD)"
HOURS_PER_MONTH = 730  # Azure's pricing convention
MANAGEMENT_FEE_PER_HOUR = 0.10
# profile type (lower case) -> (GPU, USD per node-hour without the management fee)
GPU_PROFILES: dict[str, tuple[str, float]] = {
    "nc24-a100": ("1x NVIDIA A100 80GB", 3.673),
    "nc48-a100": ("2x NVIDIA A100 80GB", 7.346),
    "nc96-a100": ("4x NVIDIA A100 80GB", 14.692),
}
SERVERLESS_GPU_PROFILES = {"consumption-gpu-nc24-a100", "consumption-gpu-nc8as-t4"}


@dataclass(frozen=True)
class GpuCost:
    profile_name: str
    profile_type: str
    gpu: str
    min_replicas: int
    max_replicas: int
    max_nodes: int
    per_node_hour: float | None  # None: not in the table

    @property
    def scales_to_zero(self) -> bool:
        return self.min_replicas == 0

    def lines(self) -> list[str]:
        head = (f"GPU: workload profile {self.profile_name} ({self.profile_type}, {self.gpu}), replicas "
                f"{self.min_replicas}-{self.max_replicas}, at most {self.max_nodes} node(s).")
        if self.per_node_hour is None:
            price = (f"  Price: {self.profile_type} is not in the price table ({PRICES_AS_OF}); see "
                     "https://azure.microsoft.com/pricing/details/container-apps/.")
        else:
            hour = self.per_node_hour
            price = (f"  Price: about ${hour:.2f} per node-hour while it runs, ${hour * HOURS_PER_MONTH:,.0f} per "
                     f"node-month ({PRICES_AS_OF}; the table's source is in the docs).")
        if self.scales_to_zero:
            running = ("  Scales to zero: no GPU node is billed while the app is idle; the first request after "
                       "idling waits for a cold start (minutes).")
        else:
            monthly = "" if self.per_node_hour is None else \
                f" about ${self.per_node_hour * HOURS_PER_MONTH * self.min_replicas:,.0f} a month"
            running = (f"  Always on: minReplicas {self.min_replicas} keeps {self.min_replicas} GPU node(s) "
                       f"running all month{',' if monthly else ''}{monthly}, whether or not anyone calls it. "
                       "Set minReplicas to 0 to pay only while it serves.")
        return [head, price, running]


def gpu_cost(profile_name: str, profile_type: str, min_replicas: int, max_replicas: int,
             max_nodes: int) -> GpuCost:
    gpu, price = GPU_PROFILES.get(profile_type.lower(), ("GPU", None))
    if profile_type.lower() in SERVERLESS_GPU_PROFILES:
        gpu = "serverless GPU, billed per second of use"
    per_hour = None if price is None else price + MANAGEMENT_FEE_PER_HOUR
    return GpuCost(profile_name, profile_type, gpu, min_replicas, max_replicas, max_nodes, per_hour)
