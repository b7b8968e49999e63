"""The workspace's Bicep template: parsed with tree-sitter, evaluated as ARM would for one resource group."""

from .dependencies import deployment_order
from .deployment import BeforeDeployment, Deployment, EvaluatedResource, Runtime
from .errors import BicepError, Span
from .evaluate import Evaluator
from .parse import parse_bicep
from .syntax_tree import BicepFile
from .values import UNKNOWN, ResourceHandle, Secret, contains_unknown, masked, reveal

__all__ = ["UNKNOWN", "BeforeDeployment", "BicepError", "BicepFile", "Deployment", "EvaluatedResource", "Evaluator",
           "ResourceHandle", "Runtime", "Secret", "Span", "contains_unknown", "deployment_order", "masked",
           "parse_bicep", "reveal"]
