"""Evaluate a parsed Bicep file as ARM does for one resource-group deployment.

Parameters, variables, resource names and ids are computed up front. Values that exist only once a resource
is deployed (`x.properties.customerId`, `x.listKeys()`) come from a `Runtime`: before deployment it answers
UNKNOWN ("known after deployment"), during deployment it answers from what Azure returned. Evaluation is
pure and cheap, so the provisioner evaluates again whenever it knows more.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import functions
from .errors import BicepError, Span
from .syntax import (
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

# Resource body properties that are not part of what ARM receives in the PUT body.
_DECLARATION_ONLY = {"name", "parent", "dependsOn", "scope"}
_COMPILE_TIME_MEMBERS = {"id", "name", "type", "apiVersion"}


class Runtime(Protocol):
    def reference(self, resource: ResourceHandle) -> Any:
        """The deployed resource's full state (GET), or UNKNOWN."""

    def invoke(self, resource: ResourceHandle, function: str) -> Any:
        """The result of a resource function such as listKeys (POST), or UNKNOWN."""


class BeforeDeployment:
    def reference(self, resource: ResourceHandle) -> Any:
        return UNKNOWN

    def invoke(self, resource: ResourceHandle, function: str) -> Any:
        return UNKNOWN


@dataclass(frozen=True)
class Deployment:
    """Where the template is deployed: what resourceGroup() and subscription() return."""

    subscription_id: str
    resource_group: str
    location: str
    subscription_name: str = ""
    tenant_id: str = ""

    @property
    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


@dataclass
class EvaluatedResource:
    symbol: str
    handle: ResourceHandle
    existing: bool
    deployed: bool  # False when its `if` condition is false
    body: dict[str, Any]  # what ARM receives (location, sku, kind, identity, tags, properties...)
    depends_on: set[str] = field(default_factory=set)
    span: Span | None = None

    @property
    def type(self) -> str:
        return self.handle.type

    @property
    def api_version(self) -> str:
        return self.handle.api_version

    @property
    def name(self) -> str:
        return self.handle.full_name

    @property
    def short_name(self) -> str:
        return self.handle.full_name.rsplit("/", 1)[-1]


def _type_error(span: Span, what: str) -> BicepError:
    return BicepError(span, what, "correct the expression")


class Evaluator:
    def __init__(self, file: BicepFile, deployment: Deployment, parameters: dict[str, Any],
                 runtime: Runtime | None = None) -> None:
        """`parameters`: values already bound and checked (see parameters.py); missing ones use defaults."""
        self.file = file
        self.deployment = deployment
        self.given = parameters
        self.runtime: Runtime = runtime or BeforeDeployment()
        self._params: dict[str, Any] = {}
        self._vars: dict[str, Any] = {}
        self._handles: dict[str, ResourceHandle] = {}
        self._active: list[str] = []  # for cycle messages
        self._in_default = False

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
                self._in_default = True
                try:
                    value = self.eval(decl.default)
                finally:
                    self._in_default = False
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
        if name_expr is None:
            raise BicepError(decl.span, f"resource '{decl.symbol}' without a name", "add `name: ...`")
        name = self.eval(name_expr)
        if isinstance(name, Secret) or contains_unknown(name) or not isinstance(name, str) or not name:
            raise BicepError(name_expr.span, f"name of resource '{decl.symbol}'",
                             "a resource name must be a non-empty string computable before deployment "
                             "(from parameters, variables and functions, not from another resource's properties)")
        parent_expr = decl.body.get("parent")
        namespace, *types = decl.type.split("/")
        if parent_expr is not None:
            if not isinstance(parent_expr, Ref) or parent_expr.name not in self.file.resources:
                raise BicepError(parent_expr.span, "parent", "name a resource symbol declared in this file")
            parent = self.handle(parent_expr.name, parent_expr.span)
            if parent.type.lower() != "/".join([namespace, *types[:-1]]).lower():
                raise BicepError(parent_expr.span, f"parent '{parent_expr.name}' of type {parent.type}",
                                 f"a {decl.type} resource needs a parent of type "
                                 f"{'/'.join([namespace, *types[:-1]])}")
            if "/" in name:
                raise BicepError(name_expr.span, f"name '{name}' with a parent", "give only the child's own name")
            full_name = f"{parent.full_name}/{name}"
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
                                             else functions.call("string", [p]) for p in parts])
        if isinstance(expr, ArrayExpr):
            return [self.eval(item) for item in expr.items]
        if isinstance(expr, ObjectExpr):
            return {name: self.eval(value) for name, value, _ in expr.properties}
        if isinstance(expr, Ref):
            return self._ref(expr)
        if isinstance(expr, Member):
            return self._member(expr)
        if isinstance(expr, Index):
            return self._index(expr)
        if isinstance(expr, Call):
            return self._call(expr)
        if isinstance(expr, MethodCall):
            return self._method(expr)
        if isinstance(expr, Unary):
            return self._unary(expr)
        if isinstance(expr, Binary):
            return self._binary(expr)
        if isinstance(expr, Ternary):
            condition = self.eval(expr.condition)
            if condition is UNKNOWN:
                return UNKNOWN
            return self.eval(expr.then) if self._bool(condition, expr.condition.span, "?:") else self.eval(
                expr.otherwise)
        raise BicepError(expr.span, type(expr).__name__, "rewrite it with the supported subset")

    def _ref(self, expr: Ref) -> Any:
        if expr.name in self.file.params:
            return self.param(expr.name, expr.span)
        if expr.name in self.file.variables:
            return self.variable(expr.name, expr.span)
        if expr.name in self.file.resources:
            return self.handle(expr.name, expr.span)
        known = sorted([*self.file.params, *self.file.variables, *self.file.resources])
        raise BicepError(expr.span, f"unknown name '{expr.name}'",
                         "declare it, or use one of: " + ", ".join(known) if known else "declare it")

    def _member(self, expr: Member) -> Any:
        target = self.eval(expr.target)
        if isinstance(target, ResourceHandle):
            if expr.name in _COMPILE_TIME_MEMBERS:
                return getattr(target, "api_version" if expr.name == "apiVersion" else expr.name)
            state = self.runtime.reference(target)
            return UNKNOWN if state is UNKNOWN else self._lookup(state, expr.name, expr, expr.safe)
        return self._lookup(target, expr.name, expr, expr.safe)

    def _lookup(self, target: Any, key: str, expr: Expr, safe: bool) -> Any:
        if target is UNKNOWN:
            return UNKNOWN
        if isinstance(target, Secret):
            inner = self._lookup(target.value, key, expr, safe)
            return inner if inner is UNKNOWN else Secret(inner)
        if target is None and safe:
            return None
        if not isinstance(target, dict):
            raise _type_error(expr.span, f"property '{key}' of {functions._kind(target)}")
        if key in target:
            return target[key]
        lowered = key.lower()  # ARM property names are case-insensitive
        for name, value in target.items():
            if name.lower() == lowered:
                return value
        if safe:
            return None
        raise BicepError(expr.span, f"property '{key}' does not exist (the object has: "
                                    f"{', '.join(target) or 'no properties'})", "use `.?` to allow its absence")

    def _index(self, expr: Index) -> Any:
        target, index = self.eval(expr.target), self.eval(expr.index)
        if target is UNKNOWN or index is UNKNOWN:
            return UNKNOWN
        if isinstance(target, Secret):
            return Secret(self._index_value(target.value, index, expr))
        return self._index_value(target, index, expr)

    def _index_value(self, target: Any, index: Any, expr: Index) -> Any:
        if isinstance(target, list) and isinstance(index, int) and not isinstance(index, bool):
            if 0 <= index < len(target):
                return target[index]
            if expr.safe:
                return None
            raise BicepError(expr.span, f"index {index} outside the array of {len(target)} item(s)",
                             "use an index inside the array")
        if isinstance(target, dict) and isinstance(index, str):
            return self._lookup(target, index, expr, expr.safe)
        raise _type_error(expr.span, f"index {functions._kind(index)} into {functions._kind(target)}")

    def _call(self, expr: Call) -> Any:
        name = functions.canonical_name(expr.name)
        if name is None:
            raise BicepError(expr.span, f"unknown function '{expr.name}'",
                             f"use one of the supported functions: {functions.supported_names()}")
        if name == "resourceGroup" and not expr.args:
            d = self.deployment
            return {"id": d.resource_group_id, "name": d.resource_group, "location": d.location,
                    "type": "Microsoft.Resources/resourceGroups", "properties": {"provisioningState": "Succeeded"}}
        if name == "subscription" and not expr.args:
            d = self.deployment
            return {"id": f"/subscriptions/{d.subscription_id}", "subscriptionId": d.subscription_id,
                    "displayName": d.subscription_name, "tenantId": d.tenant_id}
        if name == "newGuid" and not expr.args:
            if not self._in_default:
                raise BicepError(expr.span, "newGuid() outside a parameter default",
                                 "ARM allows newGuid() only as a parameter's default value")
            return Secret(str(uuid.uuid4()), generated=True)
        if name in functions.CONTEXT_FUNCTIONS:
            raise BicepError(expr.span, f"{name}() with arguments",
                             f"call {name}() without arguments: only the deployment's own scope is supported")
        args = [self.eval(arg) for arg in expr.args]
        try:
            return functions.call(name, args)
        except functions.FunctionError as error:
            raise BicepError(expr.span, str(error), "correct the arguments") from None

    def _method(self, expr: MethodCall) -> Any:
        target = self.eval(expr.target)
        if not isinstance(target, ResourceHandle):
            raise BicepError(expr.span, f"{expr.name}() on {functions._kind(target)}",
                             "call resource functions such as listKeys() on a resource symbol")
        if not expr.name.lower().startswith("list") or expr.args:
            raise BicepError(expr.span, f"resource function {expr.name}({'...' if expr.args else ''})",
                             "only list functions without arguments, such as listKeys(), are supported")
        result = self.runtime.invoke(target, expr.name)
        return UNKNOWN if result is UNKNOWN else Secret(result)

    def _bool(self, value: Any, span: Span, operator: str) -> bool:
        plain = value.value if isinstance(value, Secret) else value
        if not isinstance(plain, bool):
            raise _type_error(span, f"operator {operator} needs a bool, found {functions._kind(plain)}")
        return plain

    def _unary(self, expr: Unary) -> Any:
        value = self.eval(expr.operand)
        if value is UNKNOWN:
            return UNKNOWN
        if expr.operator == "!":
            return not self._bool(value, expr.span, "!")
        if expr.operator == "-" and isinstance(value, int) and not isinstance(value, bool):
            return -value
        raise _type_error(expr.span, f"operator {expr.operator} on {functions._kind(value)}")

    def _binary(self, expr: Binary) -> Any:  # noqa: C901 - ARM's operator table
        op = expr.operator
        left = self.eval(expr.left)
        if op in ("&&", "||"):
            if left is UNKNOWN:
                return UNKNOWN
            if self._bool(left, expr.left.span, op) == (op == "||"):
                return op == "||"
            right = self.eval(expr.right)
            return UNKNOWN if right is UNKNOWN else self._bool(right, expr.right.span, op)
        if op == "??":
            if left is UNKNOWN:
                return UNKNOWN
            return left if left is not None else self.eval(expr.right)
        right = self.eval(expr.right)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        a = left.value if isinstance(left, Secret) else left
        b = right.value if isinstance(right, Secret) else right
        if op == "==":
            return bool(a == b and type(a) is type(b))
        if op == "!=":
            return not (a == b and type(a) is type(b))
        if op in ("=~", "!~"):
            if not (isinstance(a, str) and isinstance(b, str)):
                raise _type_error(expr.span, f"operator {op} needs two strings")
            return (a.lower() == b.lower()) == (op == "=~")
        if op in ("<", "<=", ">", ">="):
            if not ((isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool)
                     and not isinstance(b, bool)) or (isinstance(a, str) and isinstance(b, str))):
                raise _type_error(expr.span, f"operator {op} needs two ints or two strings")
            ordered: Any = (a, b)  # both ints or both strings, checked above
            return {"<": ordered[0] < ordered[1], "<=": ordered[0] <= ordered[1], ">": ordered[0] > ordered[1],
                    ">=": ordered[0] >= ordered[1]}[op]
        if op in ("+", "-", "*", "/", "%"):
            if not (isinstance(a, int) and isinstance(b, int)) or isinstance(a, bool) or isinstance(b, bool):
                raise _type_error(expr.span, f"operator {op} needs two ints (join strings with interpolation "
                                             "or concat())")
            if op in ("/", "%") and b == 0:
                raise BicepError(expr.span, "division by zero", "correct the expression")
            if op == "/":
                return int(a / b)  # ARM truncates toward zero
            if op == "%":
                return a - b * int(a / b)
            return {"+": a + b, "-": a - b, "*": a * b}[op]
        raise BicepError(expr.span, f"operator {op}", "rewrite it with the supported operators")

    # --- the whole template

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
            deployed = self._bool(condition, decl.condition.span, "if")
        for key, _, span in decl.body.properties:
            if key == "scope":
                raise BicepError(span, f"scope of resource '{decl.symbol}'",
                                 "deploy every resource to the chosen resource group: remove `scope`")
        body = {key: self.eval(value) for key, value, _ in decl.body.properties
                if key not in _DECLARATION_ONLY} if deployed else {}
        return EvaluatedResource(decl.symbol, handle, decl.existing, deployed, body, self.dependencies(decl),
                                 decl.span)

    def outputs(self) -> dict[str, Any]:
        return {name: self.eval(decl.value) for name, decl in self.file.outputs.items()}

    def dependencies(self, decl: ResourceDecl) -> set[str]:
        """Resources this one needs deployed first: `parent`, `dependsOn` and every symbol its body reads,
        directly or through variables."""
        found: set[str] = set()
        seen_vars: set[str] = set()
        for _, value, _ in decl.body.properties:
            for symbol in self._symbols(value, seen_vars):
                if symbol == decl.symbol:
                    raise BicepError(value.span, f"resource '{decl.symbol}' refers to itself",
                                     "a resource cannot use its own properties; remove the reference")
                if symbol in self.file.resources:
                    found.add(symbol)
        return found

    def _symbols(self, expr: Expr, seen_vars: set[str]) -> Iterator[str]:
        if isinstance(expr, Ref):
            if expr.name in self.file.variables and expr.name not in seen_vars:
                seen_vars.add(expr.name)
                yield from self._symbols(self.file.variables[expr.name].value, seen_vars)
            yield expr.name
            return
        for child in _children(expr):
            yield from self._symbols(child, seen_vars)


def _children(expr: Expr) -> Iterator[Expr]:
    if isinstance(expr, Interpolated):
        yield from (p for p in expr.parts if isinstance(p, Expr))
    elif isinstance(expr, ArrayExpr):
        yield from expr.items
    elif isinstance(expr, ObjectExpr):
        yield from (value for _, value, _ in expr.properties)
    elif isinstance(expr, Member):
        yield expr.target
    elif isinstance(expr, Index):
        yield from (expr.target, expr.index)
    elif isinstance(expr, Call):
        yield from expr.args
    elif isinstance(expr, MethodCall):
        yield expr.target
        yield from expr.args
    elif isinstance(expr, Unary):
        yield expr.operand
    elif isinstance(expr, Binary):
        yield from (expr.left, expr.right)
    elif isinstance(expr, Ternary):
        yield from (expr.condition, expr.then, expr.otherwise)


def deployment_order(resources: list[EvaluatedResource]) -> list[EvaluatedResource]:
    """Dependencies first; a cycle is refused with the resources on it."""
    by_symbol = {r.symbol: r for r in resources}
    order: list[EvaluatedResource] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(resource: EvaluatedResource, path: list[str]) -> None:
        if state.get(resource.symbol) == 2:
            return
        if state.get(resource.symbol) == 1:
            cycle = " -> ".join([*path[path.index(resource.symbol):], resource.symbol])
            raise BicepError(resource.span or Span("", 0, 0), f"dependency cycle ({cycle})",
                             "remove a dependsOn or a reference so the resources can be deployed in order")
        state[resource.symbol] = 1
        for dependency in sorted(resource.depends_on):
            if dependency in by_symbol:
                visit(by_symbol[dependency], [*path, resource.symbol])
        state[resource.symbol] = 2
        order.append(resource)

    for resource in resources:
        visit(resource, [])
    return order
