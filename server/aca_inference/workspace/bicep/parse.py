"""A Bicep file parsed with tree-sitter's Bicep grammar into a `BicepFile`: its parameters, variables,
resources and outputs, checked against the supported subset before anything is evaluated or sent to Azure.

tree-sitter gives positions, operator precedence and error nodes; `parse_expressions.py` reads the
expressions, this module the declarations around them.
"""

from __future__ import annotations

import re
from typing import Any

from .bind import bind
from .errors import BicepError
from .parse_expressions import UNSUPPORTED, ExpressionReader
from .syntax_tree import BicepFile, Call, Decorator, Expr, Literal, OutputDecl, ParamDecl, ResourceDecl, VarDecl

_PRIMITIVE_TYPES = {"string", "int", "bool", "array", "object"}
_RESOURCE_TYPE = re.compile(r"^(?P<type>[A-Za-z0-9.]+(/[A-Za-z0-9]+)+)@(?P<version>\d{4}-\d{2}-\d{2}(-[A-Za-z0-9]+)?)$")
_IGNORED_DECORATORS = {"description", "metadata", "export"}
_PARAM_DECORATORS = {"minvalue", "maxvalue", "minlength", "maxlength", "allowed", "secure", *_IGNORED_DECORATORS}


class _Reader(ExpressionReader):
    """The expression reader, extended with the declarations that make up a file."""

    def decorators(self, node: Any) -> tuple[Decorator, ...]:
        found = []
        for decorator in self.named(node):
            inner = self.named(decorator)
            call = inner[0] if inner else None
            if call is None or call.type != "call_expression":
                raise self.fail(decorator, "decorator", "use @name(arguments)")
            parsed = self.call(call)
            if not isinstance(parsed, Call):
                raise self.fail(decorator, "decorator", "use a built-in decorator")
            found.append(Decorator(parsed.name, parsed.args, self.span(decorator)))
        return tuple(found)

    def type_name(self, node: Any, what: str) -> str:
        text = self.text(node).strip()
        if text not in _PRIMITIVE_TYPES:
            raise self.fail(node, f"type '{text}' of {what}", "use string, int, bool, array or object")
        return text

    def declaration(self, node: Any, decorators: tuple[Decorator, ...], into: BicepFile) -> None:
        kind = node.type
        parts = self.named(node)
        if kind == "parameter_declaration":
            name = self.text(parts[0])
            for decorator in decorators:
                if decorator.name.lower() not in _PARAM_DECORATORS:
                    raise BicepError(decorator.span, f"decorator @{decorator.name}",
                                     "use @minValue, @maxValue, @minLength, @maxLength, @allowed, @secure or "
                                     "@description")
            if len(parts) < 2 or parts[1].type != "type":
                raise self.fail(node, f"parameter '{name}' without a type", "add string, int, bool, array or object")
            default = self.expr(parts[2]) if len(parts) > 2 else None
            self.define(into, name, node)
            into.params[name] = ParamDecl(name, self.type_name(parts[1], f"parameter '{name}'"), default,
                                          decorators, self.span(node))
        elif kind == "variable_declaration":
            name = self.text(parts[0])
            self.plain(decorators, f"variable '{name}'")
            value = parts[-1]
            self.define(into, name, node)
            into.variables[name] = VarDecl(name, self.expr(value), self.span(node))
        elif kind == "resource_declaration":
            self.resource(node, parts, decorators, into)
        elif kind == "output_declaration":
            name = self.text(parts[0])
            self.plain(decorators, f"output '{name}'")
            into.outputs[name] = OutputDecl(name, self.type_name(parts[1], f"output '{name}'"), self.expr(parts[-1]),
                                            self.span(node))
        elif kind == "target_scope_assignment":
            scope = self.text(parts[0]).strip("'")
            if scope != "resourceGroup":
                raise self.fail(node, f"targetScope '{scope}'",
                                "deploy to a resource group: remove targetScope or set it to 'resourceGroup'")
        elif kind in UNSUPPORTED:
            construct, fix = UNSUPPORTED[kind]
            if construct:
                raise self.fail(node, construct, fix)
        else:
            raise self.fail(node, kind.replace("_", " "), "remove it or rewrite it with the supported subset")

    def plain(self, decorators: tuple[Decorator, ...], what: str) -> None:
        for decorator in decorators:
            if decorator.name.lower() not in _IGNORED_DECORATORS:
                raise BicepError(decorator.span, f"decorator @{decorator.name} on {what}", "remove it")

    def define(self, into: BicepFile, name: str, node: Any) -> None:
        if name in into.params or name in into.variables or name in into.resources:
            raise self.fail(node, f"second declaration of '{name}'", "give each parameter, variable and resource "
                                                                     "its own name")

    def resource(self, node: Any, parts: list[Any], decorators: tuple[Decorator, ...], into: BicepFile) -> None:
        symbol = self.text(parts[0])
        self.plain(decorators, f"resource '{symbol}'")
        type_expr = self.string(parts[1])
        type_text = type_expr.value if isinstance(type_expr, Literal) else None
        match = _RESOURCE_TYPE.match(str(type_text or ""))
        if match is None:
            raise self.fail(parts[1], f"resource type {self.text(parts[1])}",
                            "write 'Provider/type@api-version', e.g. 'Microsoft.App/containerApps@2024-03-01'")
        existing = any(not c.is_named and self.text(c) == "existing" for c in node.children)
        value = parts[-1]
        condition: Expr | None = None
        if value.type == "if_statement":
            inner = self.named(value)
            condition = self.expr(inner[0])
            value = inner[1]
        if value.type != "object":
            construct = UNSUPPORTED.get(value.type, (value.type.replace("_", " "), ""))[0]
            raise self.fail(value, f"resource body ({construct})", "give the resource one object body")
        self.define(into, symbol, node)
        into.resources[symbol] = ResourceDecl(symbol, match["type"], match["version"], existing, condition,
                                              self.object(value), self.span(node))


def _first_error(node: Any) -> Any | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None


def parse_bicep(source: str, path: str) -> BicepFile:
    """Parse, check the subset and bind every name (bind.py); raises BicepError at the first problem."""
    import tree_sitter  # lazy: the daemon starts without the parser
    import tree_sitter_bicep

    data = source.encode("utf-8")
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))
    tree = parser.parse(data)
    reader = _Reader(data, path)
    if tree.root_node.has_error:
        bad = _first_error(tree.root_node) or tree.root_node
        near = reader.text(bad).strip().splitlines()[0][:40] if reader.text(bad).strip() else ""
        what = f"missing {bad.type}" if bad.is_missing else (f"unexpected '{near}'" if near else "syntax error")
        raise reader.fail(bad, f"syntax error ({what})", "correct the syntax (the Bicep extension for VS Code shows "
                                                          "it too)")
    result = BicepFile(path)
    pending: tuple[Decorator, ...] = ()
    for node in reader.named(tree.root_node):
        if node.type == "decorators":
            pending = reader.decorators(node)
            continue
        reader.declaration(node, pending, result)
        pending = ()
    result.binding = bind(result)
    return result
