"""Which resources a resource needs deployed first, and the order that satisfies every resource.

Dependencies are read from the syntax, not from values: the binder (bind.py) records, per resource, every
resource symbol its body names (`parent`, `dependsOn`, through variables too), every name already resolved,
so nothing needs evaluating to know the order.
"""

from __future__ import annotations

from .bind import bind
from .deployment import EvaluatedResource
from .errors import BicepError, Span
from .syntax_tree import BicepFile, ResourceDecl


def dependencies(file: BicepFile, decl: ResourceDecl) -> set[str]:
    """Resources `decl` needs deployed first: `parent`, `dependsOn` and every symbol its body reads,
    directly or through variables."""
    binding = file.binding or bind(file)  # a file built by hand rather than parsed is bound (names checked) first
    return set(binding.dependencies[decl.symbol])


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
            if dependency not in by_symbol:
                raise BicepError(resource.span or Span("", 0, 0), f"resource '{resource.symbol}' depends on "
                                 f"'{dependency}', which is not among the resources evaluated",
                                 "declare it in this file or remove the reference")
            visit(by_symbol[dependency], [*path, resource.symbol])
        state[resource.symbol] = 2
        order.append(resource)

    for resource in resources:
        visit(resource, [])
    return order
