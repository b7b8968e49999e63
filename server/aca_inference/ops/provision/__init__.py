"""Provision Azure Container Apps for inference: plan (create / update / reuse per resource), preview,
confirm, execute in parallel branches, write infra/inference.config.json."""

from .run import ProvisionRequest, provision

__all__ = ["ProvisionRequest", "provision"]
