"""The binder: between parsing and evaluation, as the Bicep compiler's semantic model. Every name a file uses
is resolved once (parameters, variables, resources; functions with their arity; members of resource symbols)
and every expression is given the kind it is known to have before deployment, so that a misspelled name, a
call with the wrong number or kind of arguments, an output of the wrong type or a `dependsOn` that names
nothing is refused at its file:line:column before anything is evaluated or sent to Azure.

Kinds are "string", "int", "bool", "array", "object", "null", "resource" (a resource symbol used as a value)
and "any" (known only once evaluated: the evaluation checks those values again with the same rules).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from . import functions
from . import syntax_tree as tree
from .errors import BicepError, Span
from .operators import operand_problem
from .values import a_kind, kind_of

# What a resource symbol's members can be: ARM's envelope of every resource (besides what its body declares).
RESOURCE_MEMBERS = ("id", "name", "type", "apiVersion", "location", "tags", "properties", "sku", "kind", "identity",
                    "zones", "plan", "managedBy", "extendedLocation", "etag", "scale", "systemData")
# Members known before deployment; any other member reads the deployed state.
COMPILE_TIME_MEMBERS = frozenset({"id", "name", "type", "apiVersion"})


@dataclass
class Binding:
    """The file's semantic model: the kind of each parameter, variable and output, the names each
    declaration reads directly, and the resources each resource needs deployed first (`parent`, `dependsOn`
    and every resource its body reads, directly or through variables)."""

    kinds: dict[str, str] = field(default_factory=dict)
    reads: dict[str, set[str]] = field(default_factory=dict)
    dependencies: dict[str, set[str]] = field(default_factory=dict)

    def closure(self, names: set[str], variables: Container[str]) -> set[str]:
        """`names` and every name the variables among them read, transitively."""
        seen: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name not in seen:
                seen.add(name)
                if name in variables:
                    pending.extend(self.reads.get(name, ()))
        return seen


def _suggest(name: str, known: list[str], fallback: str = "declare it, or use one of", label: str = "declared") -> str:
    near = [k for k in known if k.lower() == name.lower()] or difflib.get_close_matches(name, known, n=1)
    listed = ", ".join(sorted(known, key=str.lower))
    if near:
        return f"did you mean '{near[0]}'? ({label}: {listed})"
    return f"{fallback}: {listed}" if known else "declare it"


class _Binder:
    def __init__(self, file: tree.BicepFile) -> None:
        self.file = file
        self.binding = Binding()
        self._stack: list[str] = []  # the parameters and variables being bound, for cycle messages
        self._where = ""  # the declaration being bound, for messages
        self._reads: set[str] = set()
        self._in_default = False

    # --- declarations

    def bind(self) -> Binding:
        for name in self.file.params:
            self._value_of(name, self.file.params[name].span)
        for name in self.file.variables:
            self._value_of(name, self.file.variables[name].span)
        for decl in self.file.resources.values():
            self._declaration(decl.symbol, f"resource '{decl.symbol}'", partial(self._resource, decl))
        for name, output in self.file.outputs.items():
            kind = self._declaration(name, f"output '{name}'", partial(self.visit, output.value))
            self._expect(output.type, kind, output.value.span, f"output '{name}'")
            self.binding.kinds[name] = output.type
        return self.binding

    def _declaration(self, name: str, where: str, bind: Callable[[], str]) -> str:
        saved = (self._where, self._reads)
        self._where, self._reads = where, set()
        try:
            kind = bind()
            self.binding.reads[name] = self._reads
            return kind
        finally:
            self._where, self._reads = saved

    def _value_of(self, name: str, span: Span) -> str:
        """The kind of a parameter or variable, binding it first (once); a cycle is refused where it closes."""
        if name in self.binding.kinds:
            return self.binding.kinds[name]
        if name in self._stack:
            cycle = " -> ".join([*self._stack[self._stack.index(name):], name])
            raise BicepError(span, f"cycle ({cycle})", "break the cycle: a value cannot depend on itself")
        self._stack.append(name)
        try:
            if name in self.file.params:
                decl = self.file.params[name]
                kind = decl.type
                if decl.default is not None:
                    default, outer = decl.default, self._in_default
                    self._in_default = True
                    try:
                        found = self._declaration(name, f"parameter '{name}'", lambda: self.visit(default))
                    finally:
                        self._in_default = outer
                    self._expect(decl.type, found, default.span, f"the default of parameter '{name}'")
            else:
                value = self.file.variables[name].value
                kind = self._declaration(name, f"variable '{name}'", lambda: self.visit(value))
        finally:
            self._stack.pop()
        self.binding.kinds[name] = kind
        return kind

    def _expect(self, declared: str, found: str, span: Span, what: str) -> None:
        if found not in ("any", declared):
            raise BicepError(span, f"{what} is declared {declared} but its value is {a_kind(found)}",
                             f"give it {a_kind(declared)} value, or declare it {found}")

    def _resource(self, decl: tree.ResourceDecl) -> str:
        if decl.condition is not None:
            kind = self.visit(decl.condition)
            if kind not in ("any", "bool"):
                raise BicepError(decl.condition.span, f"operator if needs a bool, found {a_kind(kind)}",
                                 "correct the expression")
        body = {key: (value, span) for key, value, span in decl.body.properties}
        if "scope" in body:
            raise BicepError(body["scope"][1], f"scope of resource '{decl.symbol}'",
                             "deploy every resource to the chosen resource group: remove `scope`")
        if "name" not in body:
            raise BicepError(decl.span, f"resource '{decl.symbol}' without a name", "add `name: ...`")
        if "parent" in body:
            self._parent(decl, body["parent"][0])
        if "dependsOn" in body:
            self._depends_on(decl, body["dependsOn"][0])
        needs: set[str] = set()
        for key, value, _ in decl.body.properties:
            before, self._reads = self._reads, set()
            if key not in ("parent", "dependsOn"):
                self.visit(value)
            else:
                self._reads = {item.name for item in (value.items if isinstance(value, tree.ArrayExpr) else (value,))
                               if isinstance(item, tree.Ref)}
            read = self.binding.closure(self._reads, self.file.variables)
            if decl.symbol in read:
                raise BicepError(value.span, f"resource '{decl.symbol}' refers to itself",
                                 "a resource cannot use its own properties; remove the reference")
            needs |= {name for name in read if name in self.file.resources}
            self._reads = before | self._reads
        self.binding.dependencies[decl.symbol] = needs
        return "resource"

    def _parent(self, decl: tree.ResourceDecl, parent: tree.Expr) -> None:
        if not isinstance(parent, tree.Ref) or parent.name not in self.file.resources:
            if isinstance(parent, tree.Ref):
                self.visit(parent)  # an unknown name says so
            raise BicepError(parent.span, "parent", "name a resource symbol declared in this file")
        self.visit(parent)
        namespace, *types = decl.type.split("/")
        wanted = "/".join([namespace, *types[:-1]])
        found = self.file.resources[parent.name].type
        if found.lower() != wanted.lower():
            raise BicepError(parent.span, f"parent '{parent.name}' of type {found}",
                             f"a {decl.type} resource needs a parent of type {wanted}")

    def _depends_on(self, decl: tree.ResourceDecl, value: tree.Expr) -> None:
        if not isinstance(value, tree.ArrayExpr):
            raise BicepError(value.span, f"dependsOn of resource '{decl.symbol}'",
                             "list resource symbols: dependsOn: [ storageAccount ]")
        for item in value.items:
            if isinstance(item, tree.Ref) and item.name in self.file.resources:
                self.visit(item)
                continue
            if isinstance(item, tree.Ref) and item.name not in self.file.params and item.name not in self.file.variables:
                self._where = f"dependsOn of resource '{decl.symbol}'"
                self.visit(item)  # refused as an unknown name, with the names it could be
            raise BicepError(item.span, f"dependsOn of resource '{decl.symbol}' lists something that is not a "
                                        "resource symbol", "list resource symbols declared in this file: "
                                        + ", ".join(self.file.resources))

    # --- expressions: each is checked and given its kind

    def visit(self, expr: tree.Expr) -> str:
        return _VISITORS[type(expr)](self, expr)

    def _interpolated(self, expr: tree.Interpolated) -> str:
        for part in expr.parts:
            if isinstance(part, tree.Expr):
                self.visit(part)
        return "string"

    def _array(self, expr: tree.ArrayExpr) -> str:
        for item in expr.items:
            self.visit(item)
        return "array"

    def _object(self, expr: tree.ObjectExpr) -> str:
        for _, value, _ in expr.properties:
            self.visit(value)
        return "object"

    def _ternary(self, expr: tree.Ternary) -> str:
        condition = self.visit(expr.condition)
        if condition not in ("any", "bool"):
            raise BicepError(expr.condition.span, f"operator ?: needs a bool, found {a_kind(condition)}",
                             "correct the expression")
        then, otherwise = self.visit(expr.then), self.visit(expr.otherwise)
        return then if then == otherwise else "any"

    def _ref(self, expr: tree.Ref) -> str:
        name = expr.name
        self._reads.add(name)
        if name in self.file.resources or name in self.file.variables:
            if self._in_default:
                raise BicepError(expr.span, f"{self._where} reads '{name}', which is not a parameter",
                                 "a parameter's default can use other parameters and functions only")
            return "resource" if name in self.file.resources else self._value_of(name, expr.span)
        if name in self.file.params:
            return self._value_of(name, expr.span)
        known = [*self.file.params, *self.file.variables, *self.file.resources]
        where = f" in {self._where}" if self._where else ""
        raise BicepError(expr.span, f"unknown name '{name}'{where}", _suggest(name, known))

    def _member(self, expr: tree.Member) -> str:
        target = self.visit(expr.target)
        if isinstance(expr.target, tree.Ref) and target == "resource":
            decl = self.file.resources[expr.target.name]
            members = [*RESOURCE_MEMBERS, *(key for key, _, _ in decl.body.properties if key not in RESOURCE_MEMBERS)]
            if not expr.safe and expr.name.lower() not in (m.lower() for m in members):
                raise BicepError(expr.span, f"resource '{decl.symbol}' has no property '{expr.name}'",
                                 _suggest(expr.name, members, "use one of", "a resource has"))
            return "string" if expr.name in COMPILE_TIME_MEMBERS else "any"
        if target not in ("any", "object", "resource") and not (target == "null" and expr.safe):
            raise BicepError(expr.span, f"property '{expr.name}' of {a_kind(target)}", "correct the expression")
        return "any"

    def _index(self, expr: tree.Index) -> str:
        target, index = self.visit(expr.target), self.visit(expr.index)
        wanted = {"array": "int", "object": "string"}.get(target)
        if target not in ("any", "array", "object") or (wanted and index not in ("any", wanted)):
            raise BicepError(expr.span, f"index {a_kind(index)} into {a_kind(target)}", "correct the expression")
        return "any"

    def _call(self, expr: tree.Call) -> str:
        name = functions.canonical_name(expr.name)
        if name is None:
            raise BicepError(expr.span, f"unknown function '{expr.name}'",
                             f"use one of the supported functions: {functions.supported_names()}")
        kinds = [self.visit(arg) for arg in expr.args]
        if name in functions.CONTEXT_FUNCTIONS:
            if expr.args:
                raise BicepError(expr.span, f"{name}() with arguments",
                                 f"call {name}() without arguments: only the deployment's own scope is supported")
            if name == "newGuid" and not self._in_default:
                raise BicepError(expr.span, "newGuid() outside a parameter default",
                                 "ARM allows newGuid() only as a parameter's default value")
            return functions.CONTEXT_FUNCTIONS[name]
        builtin = functions.BUILTINS[name]
        if (problem := functions.arity_problem(name, builtin, len(kinds))) is not None:
            raise functions.FunctionError(expr.span, name, problem)
        for position, kind in enumerate(kinds):
            if (problem := functions.type_problem(name, builtin, position, kind)) is not None:
                raise functions.FunctionError(expr.span, name, problem)
        return builtin.returns

    def _method(self, expr: tree.MethodCall) -> str:
        target = self.visit(expr.target)
        for arg in expr.args:
            self.visit(arg)
        if not (isinstance(expr.target, tree.Ref) and target == "resource"):
            raise BicepError(expr.span, f"{expr.name}() on {a_kind(target) if target != 'any' else 'a value'}",
                             "call resource functions such as listKeys() on a resource symbol")
        if not expr.name.lower().startswith("list") or expr.args:
            raise BicepError(expr.span, f"resource function {expr.name}({'...' if expr.args else ''})",
                             "only list functions without arguments, such as listKeys(), are supported")
        return "any"

    def _unary(self, expr: tree.Unary) -> str:
        kind = self.visit(expr.operand)
        wanted = "bool" if expr.operator == "!" else "int"
        if kind not in ("any", wanted):
            what = f"needs a bool, found {a_kind(kind)}" if wanted == "bool" else f"on {a_kind(kind)}"
            raise BicepError(expr.span, f"operator {expr.operator} {what}", "correct the expression")
        return wanted

    def _binary(self, expr: tree.Binary) -> str:
        left, right = self.visit(expr.left), self.visit(expr.right)
        if (problem := operand_problem(expr.operator, left, right)) is not None:
            raise BicepError(expr.span, problem, "correct the expression")
        if expr.operator == "??":
            return right if left == "null" else left if left == right else "any"
        return "int" if expr.operator in ("+", "-", "*", "/", "%") else "bool"


# One visitor per expression node: each checks the node and gives its kind.
_VISITORS: dict[type, Callable[[_Binder, Any], str]] = {
    tree.Literal: lambda _, expr: kind_of(expr.value), tree.Interpolated: _Binder._interpolated,
    tree.ArrayExpr: _Binder._array, tree.ObjectExpr: _Binder._object, tree.Ref: _Binder._ref,
    tree.Member: _Binder._member, tree.Index: _Binder._index, tree.Call: _Binder._call,
    tree.MethodCall: _Binder._method, tree.Unary: _Binder._unary, tree.Binary: _Binder._binary,
    tree.Ternary: _Binder._ternary,
}


def bind(file: tree.BicepFile) -> Binding:
    """Resolve and check every name and expression of `file`; raises BicepError (FunctionError for calls) at
    the first problem, in declaration order."""
    return _Binder(file).bind()
