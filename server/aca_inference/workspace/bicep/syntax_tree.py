"""A Bicep file as a small syntax tree: the expression and declaration nodes `parse.py` builds from tree-sitter's
tree and `expressions.py` and `evaluate.py` evaluate.

Only the subset the AI Toolkit templates and ours use has a node here; everything else is refused while
parsing, so evaluation never meets a construct it does not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import Span

if TYPE_CHECKING:
    from .bind import Binding

# --- expressions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    span: Span


@dataclass(frozen=True)
class Literal(Expr):
    value: Any  # str | int | bool | None


@dataclass(frozen=True)
class Interpolated(Expr):
    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class ArrayExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class ObjectExpr(Expr):
    properties: tuple[tuple[str, Expr, Span], ...]

    def get(self, key: str) -> Expr | None:
        return next((value for name, value, _ in self.properties if name == key), None)


@dataclass(frozen=True)
class Ref(Expr):
    name: str


@dataclass(frozen=True)
class Member(Expr):
    target: Expr
    name: str
    safe: bool = False  # `.?`: null instead of an error when absent


@dataclass(frozen=True)
class Index(Expr):
    target: Expr
    index: Expr
    safe: bool = False


@dataclass(frozen=True)
class Call(Expr):
    name: str  # `sys.` / `az.` namespaces dropped
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class MethodCall(Expr):
    """`storageAccount.listKeys()`: a resource function."""

    target: Expr
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary(Expr):
    operator: str
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    operator: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Ternary(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr


def children(expr: Expr) -> Iterator[Expr]:
    """The expressions directly inside `expr`: for walks that read the tree without evaluating it."""
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


# --- declarations --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decorator:
    name: str
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class ParamDecl:
    name: str
    type: str  # string | int | bool | array | object
    default: Expr | None
    decorators: tuple[Decorator, ...]
    span: Span

    def decorator(self, name: str) -> Decorator | None:
        return next((d for d in self.decorators if d.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class VarDecl:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True)
class ResourceDecl:
    symbol: str
    type: str  # e.g. Microsoft.App/containerApps
    api_version: str
    existing: bool
    condition: Expr | None
    body: ObjectExpr
    span: Span


@dataclass(frozen=True)
class OutputDecl:
    name: str
    type: str
    value: Expr
    span: Span


@dataclass
class BicepFile:
    path: str  # as shown to the user
    params: dict[str, ParamDecl] = field(default_factory=dict)
    variables: dict[str, VarDecl] = field(default_factory=dict)
    resources: dict[str, ResourceDecl] = field(default_factory=dict)
    outputs: dict[str, OutputDecl] = field(default_factory=dict)
    binding: Binding | None = None  # the semantic model (bind.py), set once the file is bound

