"""Expressions evaluated as ARM does: parameters, variables, resource names and ids, function calls.

Values that exist only once a resource is deployed (`x.properties.customerId`, `x.listKeys()`) come from the
`Runtime`; before deployment they are UNKNOWN. Each parameter, variable and resource handle is evaluated once,
when first read, so a cycle is found where it is entered. What the operators do with the values is
`operators.py`; the whole template (resources, outputs) is `evaluate.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

from . import functions, operators
from .bind import COMPILE_TIME_MEMBERS, bind
from .deployment import BeforeDeployment, Deployment, Runtime
from .errors import BicepError, Span
from .syntax_tree import (
    ArrayExpr,
    BicepFile,
    Binary,
    Call,
    Expr,
    Index,
    Interpolated,
    Literal,
    Member,
    MethodCall,
    ObjectExpr,
    Ref,
    ResourceDecl,
    Ternary,
    Unary,
)
from .values import UNKNOWN, ResourceHandle, Secret, contains_unknown


class ExpressionEvaluator:
    """Evaluates a bound file (parse_bicep binds it; a file built otherwise is bound here first): names,
    functions and their arity are known to resolve, so only what depends on values is checked here."""

    def __init__(self, file: BicepFile, deployment: Deployment, parameters: dict[str, Any],
                 runtime: Runtime | None = None) -> None:
        """`parameters`: values already bound and checked (see parameters.py); missing ones use defaults."""
        if file.binding is None:
            file.binding = bind(file)
        self.file = file
        self.deployment = deployment
        self.given = parameters
        self.runtime: Runtime = runtime or BeforeDeployment()
        self._params: dict[str, Any] = {}
        self._vars: dict[str, Any] = {}
        self._handles: dict[str, ResourceHandle] = {}
        self._active: list[str] = []  # for cycle messages

    # --- symbols

    def _enter(self, name: str, span: Span) -> None:
        if name in self._active:
            cycle = " -> ".join([*self._active[self._active.index(name):], name])
            raise BicepError(span, f"cycle ({cycle})", "break the cycle: a value cannot depend on itself")
        self._active.append(name)

    def param(self, name: str, span: Span) -> Any:
        if name not in self._params:
            decl = self.file.params[name]
            if name in self.given:
                value = self.given[name]
            elif decl.default is not None:
                self._enter(name, span)
                try:
                    value = self.eval(decl.default)
                finally:
                    self._active.pop()
            else:  # parameters.py reports this with the file; here only as a safety net
                raise BicepError(decl.span, f"parameter '{name}' has no value",
                                 "give it a value in the parameters file or a default")
            if decl.decorator("secure") is not None and not isinstance(value, Secret):
                value = Secret(value)
            self._params[name] = value
        return self._params[name]

    def variable(self, name: str, span: Span) -> Any:
        if name not in self._vars:
            self._enter(name, span)
            try:
                self._vars[name] = self.eval(self.file.variables[name].value)
            finally:
                self._active.pop()
        return self._vars[name]

    def handle(self, symbol: str, span: Span) -> ResourceHandle:
        if symbol not in self._handles:
            decl = self.file.resources[symbol]
            self._enter(symbol, span)
            try:
                self._handles[symbol] = self._make_handle(decl)
            finally:
                self._active.pop()
        return self._handles[symbol]

    def _make_handle(self, decl: ResourceDecl) -> ResourceHandle:
        name_expr = decl.body.get("name")
        if name_expr is None:  # the binder refuses it; kept for files built by hand
            raise BicepError(decl.span, f"resource '{decl.symbol}' without a name", "add `name: ...`")
        name = self.eval(name_expr)
        if isinstance(name, Secret) or contains_unknown(name) or not isinstance(name, str) or not name:
            raise BicepError(name_expr.span, f"name of resource '{decl.symbol}'",
                             "a resource name must be a non-empty string computable before deployment "
                             "(from parameters, variables and functions, not from another resource's properties)")
        parent_expr = decl.body.get("parent")
        namespace, *types = decl.type.split("/")
        if isinstance(parent_expr, Ref):  # the binder checked it names a resource of the parent type
            if "/" in name:
                raise BicepError(name_expr.span, f"name '{name}' with a parent", "give only the child's own name")
            full_name = f"{self.handle(parent_expr.name, parent_expr.span).full_name}/{name}"
        else:
            full_name = name
        segments = full_name.split("/")
        if len(segments) != len(types):
            raise BicepError(name_expr.span, f"name '{full_name}' of a {decl.type}",
                             f"a {decl.type} name has {len(types)} segment(s) separated by '/' (or use `parent:`)")
        path = "/".join(f"{t}/{n}" for t, n in zip(types, segments, strict=True))
        resource_id = f"{self.deployment.resource_group_id}/providers/{namespace}/{path}"
        return ResourceHandle(decl.symbol, decl.type, decl.api_version, name, full_name, resource_id)

    # --- expressions

    def eval(self, expr: Expr) -> Any:  # noqa: C901 - one dispatch over the expression kinds
        if isinstance(expr, Literal):
            return expr.value
        if isinstance(expr, Interpolated):
            parts = [p if isinstance(p, str) else self.eval(p) for p in expr.parts]
            return functions.call("concat", [p if isinstance(p, str | Secret) or p is UNKNOWN
                                             else functions.call("string", [p], expr.span) for p in parts], expr.span)
        if isinstance(expr, ArrayExpr):
            return [self.eval(item) for item in expr.items]
        if isinstance(expr, ObjectExpr):
            return {name: self.eval(value) for name, value, _ in expr.properties}
        if isinstance(expr, Ref):
            return self._ref(expr)
        if isinstance(expr, Member):
            return self._member(expr)
        if isinstance(expr, Index):
            return operators.subscript(self.eval(expr.target), self.eval(expr.index), expr.span, expr.safe)
        if isinstance(expr, Call):
            return self._call(expr)
        if isinstance(expr, MethodCall):
            return self._method(expr)
        if isinstance(expr, Unary):
            return operators.unary(expr.operator, self.eval(expr.operand), expr.span)
        if isinstance(expr, Binary):
            return self._binary(expr)
        if isinstance(expr, Ternary):
            condition = self.eval(expr.condition)
            if condition is UNKNOWN:
                return UNKNOWN
            return self.eval(expr.then) if operators.as_bool(condition, expr.condition.span, "?:") else self.eval(
                expr.otherwise)
        raise BicepError(expr.span, type(expr).__name__, "rewrite it with the supported subset")

    def _ref(self, expr: Ref) -> Any:
        if expr.name in self.file.params:
            return self.param(expr.name, expr.span)
        if expr.name in self.file.variables:
            return self.variable(expr.name, expr.span)
        if expr.name in self.file.resources:
            return self.handle(expr.name, expr.span)
        raise BicepError(expr.span, f"unknown name '{expr.name}'", "declare it")  # the binder refuses it first

    def _member(self, expr: Member) -> Any:
        target = self.eval(expr.target)
        if isinstance(target, ResourceHandle):
            if expr.name in COMPILE_TIME_MEMBERS:
                return getattr(target, "api_version" if expr.name == "apiVersion" else expr.name)
            state = self.runtime.reference(target)
            return UNKNOWN if state is UNKNOWN else operators.lookup(state, expr.name, expr.span, expr.safe)
        return operators.lookup(target, expr.name, expr.span, expr.safe)

    def _call(self, expr: Call) -> Any:
        name = functions.canonical_name(expr.name)
        if name is None or (name in functions.CONTEXT_FUNCTIONS and expr.args):  # the binder refuses both
            raise BicepError(expr.span, f"function '{expr.name}'", "call a supported function")
        if name == "resourceGroup":
            d = self.deployment
            return {"id": d.resource_group_id, "name": d.resource_group, "location": d.location,
                    "type": "Microsoft.Resources/resourceGroups", "properties": {"provisioningState": "Succeeded"}}
        if name == "subscription":
            d = self.deployment
            return {"id": f"/subscriptions/{d.subscription_id}", "subscriptionId": d.subscription_id,
                    "displayName": d.subscription_name, "tenantId": d.tenant_id}
        if name == "newGuid":  # only in a parameter's default (the binder checks)
            return Secret(str(uuid.uuid4()), generated=True)
        return functions.call(name, [self.eval(arg) for arg in expr.args], expr.span)

    def _method(self, expr: MethodCall) -> Any:
        target = self.eval(expr.target)
        if not isinstance(target, ResourceHandle):  # the binder refuses it first
            raise BicepError(expr.span, f"{expr.name}() on a value", "call it on a resource symbol")
        result = self.runtime.invoke(target, expr.name)
        return UNKNOWN if result is UNKNOWN else Secret(result)

    def _binary(self, expr: Binary) -> Any:
        """`&&`, `||` and `??` evaluate their right side only when needed (it may fail or read a runtime
        value); every other operator evaluates both sides first."""
        op = expr.operator
        left = self.eval(expr.left)
        if op in ("&&", "||"):
            if left is UNKNOWN:
                return UNKNOWN
            if operators.as_bool(left, expr.left.span, op) == (op == "||"):
                return op == "||"
            right = self.eval(expr.right)
            return UNKNOWN if right is UNKNOWN else operators.as_bool(right, expr.right.span, op)
        if op == "??":
            if left is UNKNOWN:
                return UNKNOWN
            return left if left is not None else self.eval(expr.right)
        return operators.binary(op, left, self.eval(expr.right), expr.span)
