"""Azure Container Apps' workload profile types: what one node (or serverless replica) of each offers, and the
subscription quota its GPUs count against. Facts about Azure, shared by the product (preflight, body rules) and
anyone else who needs them.

Sources: the AvailableWorkloadProfiles API (specification/app/.../ContainerApps/stable/2026-07-01,
`availableManagedEnvironmentsWorkloadProfileTypes`: cores, memoryGiB, gpus per type); "Workload profiles in Azure
Container Apps" and "Using serverless GPUs in Azure Container Apps" (learn.microsoft.com/azure/container-apps/
workload-profiles-overview, gpu-serverless-overview: one GPU per serverless replica); quota names from
"Request quota changes for Azure Container Apps" (learn.microsoft.com/azure/container-apps/quota-requests:
"Subscription NCA 100 GPUs", "Subscription consumption NCA 100 GPUs", "Subscription consumption T 4 GPUs").
"""

from __future__ import annotations

from dataclasses import dataclass

# Where a user raises a quota: the Azure Quota Management System, provider "Azure Container Apps"
# (the link quota-requests.md gives for integrated requests).
QUOTA_PAGE = "https://portal.azure.com/#view/Microsoft_Azure_Capacity/QuotaMenuBlade/~/myQuotas"
QUOTA_DOCS = "https://learn.microsoft.com/azure/container-apps/quota-requests"


@dataclass(frozen=True)
class ProfileType:
    name: str  # workloadProfileType as ARM spells it
    category: str
    cores: float  # per node (dedicated) or per replica (Consumption, serverless GPU)
    memory_gib: float
    gpus: int = 0
    serverless: bool = False  # billed per replica-second on the Consumption plan (no nodes)
    gpu_quota: str | None = None  # Microsoft.App usages name its GPUs count against

    @property
    def consumption(self) -> bool:
        return self.name.lower() == "consumption"


PROFILE_TYPES: dict[str, ProfileType] = {p.name.lower(): p for p in (
    ProfileType("Consumption", "Consumption", 4, 8, serverless=True),
    ProfileType("D4", "GeneralPurpose", 4, 16), ProfileType("D8", "GeneralPurpose", 8, 32),
    ProfileType("D16", "GeneralPurpose", 16, 64), ProfileType("D32", "GeneralPurpose", 32, 128),
    ProfileType("E4", "MemoryOptimized", 4, 32), ProfileType("E8", "MemoryOptimized", 8, 64),
    ProfileType("E16", "MemoryOptimized", 16, 128), ProfileType("E32", "MemoryOptimized", 32, 256),
    ProfileType("NC24-A100", "GPU", 24, 220, 1, gpu_quota="SubscriptionNCA100Gpus"),
    ProfileType("NC48-A100", "GPU", 48, 440, 2, gpu_quota="SubscriptionNCA100Gpus"),
    ProfileType("NC96-A100", "GPU", 96, 880, 4, gpu_quota="SubscriptionNCA100Gpus"),
    ProfileType("Consumption-GPU-NC24-A100", "GPU", 24, 220, 1, serverless=True,
                gpu_quota="SubscriptionConsumptionNCA100Gpus"),
    ProfileType("Consumption-GPU-NC8as-T4", "GPU", 8, 56, 1, serverless=True,
                gpu_quota="SubscriptionConsumptionT4Gpus"),
)}

# usages name -> how the portal says it
GPU_QUOTA_NAMES: dict[str, str] = {
    "SubscriptionNCA100Gpus": "Subscription NCA 100 GPUs",
    "SubscriptionConsumptionNCA100Gpus": "Subscription consumption NCA 100 GPUs",
    "SubscriptionConsumptionT4Gpus": "Subscription consumption T 4 GPUs",
}


def profile_type(name: object) -> ProfileType | None:
    return PROFILE_TYPES.get(name.lower()) if isinstance(name, str) else None
