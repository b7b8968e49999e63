"""No import cycle among aca_inference's modules: the tree reads as layers (front ends -> operations -> model ->
cloud adapters), and a cycle is a layer reaching back up. Read from the source with `ast`, so a function-level
import counts like a module-level one; an import under `if TYPE_CHECKING:` does not (it never runs). The emulator
(aca_inference.emulator, moving to its own package) is left out."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "server" / "aca_inference"
LEFT_OUT = "aca_inference.emulator"


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package's __init__)."""
    found = {}
    for file in PACKAGE.rglob("*.py"):
        parts = list(file.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        if name != LEFT_OUT and not name.startswith(LEFT_OUT + "."):
            found[name] = (file, is_package)
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_names(tree: ast.AST, package: str) -> set[str]:
    """Every module name an import statement names (`from x import y`: x.y, which may be a module or a name)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit_statement(other)
            else:
                visit_statement(child)

    def visit_statement(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.update(f"{module}.{alias.name}" for alias in node.names)
        else:
            visit(node)

    visit(tree)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (file, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges = set()
        for imported in _imported_names(ast.parse(file.read_text(), str(file)), package):
            while imported and imported not in modules and not imported.startswith(LEFT_OUT):
                imported = imported.rpartition(".")[0]  # `from pkg import name` -> pkg
            if imported in modules and imported != name:
                edges.add(imported)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(component: list[str], graph: dict[str, set[str]]) -> str:
    return "\n".join(f"  {a} -> {b}" for a in component for b in sorted(graph[a]) if b in component)


def test_no_import_cycle_among_the_packages_modules() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n\n".join(_describe(c, graph) for c in found)


def test_the_cycle_finder_sees_function_level_imports_and_skips_type_checking_ones() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..b import B\n"
                     "def f():\n    from .c import C\n    import aca_inference.d\n")
    names = _imported_names(tree, "aca_inference.x")
    assert {"aca_inference.x.c.C", "aca_inference.d"} <= names and not any(".b" in n for n in names)
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_azure_adapters_import_nothing_from_the_layers_above() -> None:
    graph = import_graph()
    above = ("aca_inference.ops", "aca_inference.cli", "aca_inference.lsp", "aca_inference.sync")
    reaching_up = {f"{a} -> {b}" for a in graph if a.startswith("aca_inference.azure") for b in graph[a]
                   if b.startswith(above)}
    assert not reaching_up, reaching_up
