"""Which resources a resource needs deployed first, and the order that satisfies every resource.

Dependencies are read from the syntax, not from values: a resource depends on every resource symbol its body
names (through variables too), so nothing needs evaluating to know the order.
"""

from __future__ import annotations

from collections.abc import Iterator

from .deployment import EvaluatedResource
from .errors import BicepError, Span
from .syntax_tree import BicepFile, Expr, Ref, ResourceDecl, children


def dependencies(file: BicepFile, decl: ResourceDecl) -> set[str]:
    """Resources `decl` needs deployed first: `parent`, `dependsOn` and every symbol its body reads,
    directly or through variables."""
    found: set[str] = set()
    seen_vars: set[str] = set()
    for _, value, _ in decl.body.properties:
        for symbol in _symbols(file, value, seen_vars):
            if symbol == decl.symbol:
                raise BicepError(value.span, f"resource '{decl.symbol}' refers to itself",
                                 "a resource cannot use its own properties; remove the reference")
            if symbol in file.resources:
                found.add(symbol)
    return found


def _symbols(file: BicepFile, expr: Expr, seen_vars: set[str]) -> Iterator[str]:
    """Every name `expr` reads, with the names read by the variables it reads (each variable once)."""
    if isinstance(expr, Ref):
        if expr.name in file.variables and expr.name not in seen_vars:
            seen_vars.add(expr.name)
            yield from _symbols(file, file.variables[expr.name].value, seen_vars)
        yield expr.name
        return
    for child in children(expr):
        yield from _symbols(file, child, seen_vars)


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
