"""The workspace's Bicep template: parsed with tree-sitter, evaluated as ARM would for one resource group."""

from .errors import BicepError, Span
from .evaluate import BeforeDeployment, Deployment, EvaluatedResource, Evaluator, Runtime, deployment_order
from .syntax import BicepFile, parse_bicep
from .values import UNKNOWN, ResourceHandle, Secret, contains_unknown, masked, reveal

__all__ = ["UNKNOWN", "BeforeDeployment", "BicepError", "BicepFile", "Deployment", "EvaluatedResource", "Evaluator",
           "ResourceHandle", "Runtime", "Secret", "Span", "contains_unknown", "deployment_order", "masked",
           "parse_bicep", "reveal"]
