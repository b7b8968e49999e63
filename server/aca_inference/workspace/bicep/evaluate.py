"""Evaluate a parsed Bicep file as ARM does for one resource-group deployment: its resources and outputs.

Parameters, variables, resource names and ids are computed up front. Values that exist only once a resource
is deployed (`x.properties.customerId`, `x.listKeys()`) come from a `Runtime`: before deployment it answers
UNKNOWN ("known after deployment"), during deployment it answers from what Azure returned. Evaluation is
pure and cheap, so the provisioner evaluates again whenever it knows more.
"""

from __future__ import annotations

from typing import Any

from . import operators
from .dependencies import dependencies
from .deployment import EvaluatedResource
from .errors import BicepError
from .expressions import ExpressionEvaluator
from .values import UNKNOWN

# Resource body properties that are not part of what ARM receives in the PUT body.
_DECLARATION_ONLY = {"name", "parent", "dependsOn", "scope"}


class Evaluator(ExpressionEvaluator):
    """The whole template; each resource or output is evaluated when asked for, with the expressions'
    cache of parameters, variables and handles shared between them."""

    def resources(self) -> list[EvaluatedResource]:
        return [self.resource(symbol) for symbol in self.file.resources]

    def resource(self, symbol: str) -> EvaluatedResource:
        """One resource: only what it reads is evaluated (and asked of the Runtime)."""
        decl = self.file.resources[symbol]
        handle = self.handle(decl.symbol, decl.span)
        deployed = True
        if decl.condition is not None:
            condition = self.eval(decl.condition)
            if condition is UNKNOWN:
                raise BicepError(decl.condition.span, f"condition of resource '{decl.symbol}'",
                                 "a condition must be computable before deployment")
            deployed = operators.as_bool(condition, decl.condition.span, "if")
        body = {key: self.eval(value) for key, value, _ in decl.body.properties
                if key not in _DECLARATION_ONLY} if deployed else {}
        return EvaluatedResource(decl.symbol, handle, decl.existing, deployed, body, dependencies(self.file, decl),
                                 decl.span)

    def outputs(self) -> dict[str, Any]:
        return {name: self.eval(decl.value) for name, decl in self.file.outputs.items()}

