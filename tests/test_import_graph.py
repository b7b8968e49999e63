"""The packages' import graphs: no cycles, and the emulator stands alone (it never imports the product).

The graph is read from the source with `ast`: module-level and function-level imports both count (a lazy
import is still a dependency); imports under `if TYPE_CHECKING:` do not (they never run). `from pkg import name`
is an edge to `pkg.name` when that is a module, else to `pkg`. Importing a module also runs its parents'
`__init__`, but that implicit edge is not counted: a package that re-exports its children would otherwise be in
a cycle with every child that imports a sibling.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parent.parent / "server"

# The packages held to "no import cycle": a cycle is a layer reaching back up.
ACYCLIC_PACKAGES = ["aca_emulator", "aca_inference"]



def _parse(path: Path) -> ast.Module:
    """ast.parse, asked once more on CPython 3.11's spurious "AST constructor recursion depth mismatch" SystemError
    (a CPython bug of the 3.11 line, not of the file),
    which a clean-clone CI run met once on a file that parses every other time."""
    try:
        return ast.parse(path.read_text(), str(path))
    except SystemError:
        return ast.parse(path.read_text(), str(path))

def modules(package: str) -> dict[str, Path]:
    """Every module of `package`: dotted name -> file (a package is named by its `__init__.py`)."""
    found: dict[str, Path] = {}
    for path in sorted((SERVER / package).rglob("*.py")):
        parts = list(path.relative_to(SERVER).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run: everywhere but inside `if TYPE_CHECKING:` (its `else:` does run)."""
    if isinstance(tree, ast.If) and _is_type_checking(tree.test):
        for node in tree.orelse:
            yield from _imports(node)
        return
    if isinstance(tree, ast.Import | ast.ImportFrom):
        yield tree
        return
    for child in ast.iter_child_nodes(tree):
        yield from _imports(child)


def imported_names(module: str, path: Path) -> set[str]:
    """The absolute dotted names `module` imports (`from X import y` as X.y)."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in _imports(_parse(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        if node.level:
            anchor = module.split(".")
            if not is_package:
                anchor.pop()
            anchor = anchor[:len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        # `from pkg import x`: the edge goes to pkg.x when that is a module, else (walking up) to pkg.
        names.update(base if alias.name == "*" else f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    known = modules(package)
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = set()
        for name in imported_names(module, path):
            # X.y where y is not a module (a function, a class): the edge goes to X.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_reader_finds_a_cycle_and_skips_type_checking_imports(tmp_path: Path) -> None:
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}}
    assert cycles(graph) == [["p.a", "p.b", "p.c"]]
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import hidden\n"
                      "def f():\n    from .lazy import thing\n")
    assert imported_names("p.m", source) == {"typing.TYPE_CHECKING", "p.lazy.thing"}


@pytest.mark.parametrize("package", ACYCLIC_PACKAGES)
def test_no_import_cycle(package: str) -> None:
    found = cycles(import_graph(package))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(component) for component in found)


def test_the_emulator_never_imports_the_product() -> None:
    offenders = [f"{path.relative_to(SERVER)}: {name}"
                 for module, path in modules("aca_emulator").items()
                 for name in sorted(imported_names(module, path)) if name.split(".")[0] == "aca_inference"]
    # TYPE_CHECKING-only imports count here too: not even a type may come from the product.
    for path in (SERVER / "aca_emulator").rglob("*.py"):
        if "aca_inference" in "".join(line for line in path.read_text().splitlines()
                                      if line.lstrip().startswith(("import ", "from "))):
            offenders.append(f"{path.relative_to(SERVER)}: an import line names aca_inference")
    assert not offenders, "\n".join(offenders)


def test_every_emulator_module_imports_with_the_product_unimportable() -> None:
    names = sorted(m for m in modules("aca_emulator") if not m.endswith("__main__"))
    script = ("import importlib, sys\nsys.modules['aca_inference'] = None  # any import of it now fails\n"
              f"for name in {names!r}:\n    importlib.import_module(name)\n"
              "assert not any(m.startswith('aca_inference') for m in sys.modules if sys.modules[m] is not None)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(SERVER), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-3000:]


def test_the_product_reaches_the_emulator_only_through_the_local_targets_starter_and_lazily() -> None:
    starter = "aca_inference.azure.local_emulator"
    found = []
    for module, path in modules("aca_inference").items():
        tree = _parse(path)
        top_level = {id(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)}
        for node in _imports(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(name.split(".")[0] == "aca_emulator" for name in names):
                found.append((module, id(node) in top_level))
    assert {module for module, _ in found} <= {starter}, found
    # Lazy: inside the starter's functions, so the daemon starts without loading the emulator.
    assert not any(top for _, top in found), found


def test_azure_adapters_import_nothing_from_the_layers_above() -> None:
    """azure/ is the only door to Azure and stands below everything: operations, front ends and sync use it."""
    graph = import_graph("aca_inference")
    above = ("aca_inference.ops", "aca_inference.cli", "aca_inference.lsp", "aca_inference.sync",
             "aca_inference.workspace")
    reaching_up = sorted(f"{a} -> {b}" for a in graph if a.startswith("aca_inference.azure") for b in graph[a]
                         if b.startswith(above))
    assert not reaching_up, reaching_up


def test_azures_naming_rules_are_a_leaf_both_packages_share() -> None:
    """One statement of Azure's naming rules: the product's pre-check and the local Azure import the same one,
    and it imports neither of them."""
    names = {name for module, path in modules("azure_name_rules").items() for name in imported_names(module, path)}
    assert not {n for n in names if n.split(".")[0] in ("aca_inference", "aca_emulator")}, names
    import aca_emulator.arm.context
    import aca_inference.workspace.naming
    import azure_name_rules

    assert aca_inference.workspace.naming.check_name is azure_name_rules.check_name
    assert aca_emulator.arm.context.check_name is azure_name_rules.check_name
