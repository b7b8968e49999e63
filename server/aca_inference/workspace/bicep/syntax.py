"""A Bicep file as a small syntax tree, read with tree-sitter's Bicep grammar.

tree-sitter gives positions, operator precedence and error nodes; this module keeps only the language subset
the AI Toolkit templates and ours use, and refuses everything else with `file:line:column`, the construct
and what to do - before anything is evaluated or sent to Azure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import BicepError, Span

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


_PRIMITIVE_TYPES = {"string", "int", "bool", "array", "object"}
_RESOURCE_TYPE = re.compile(r"^(?P<type>[A-Za-z0-9.]+(/[A-Za-z0-9]+)+)@(?P<version>\d{4}-\d{2}-\d{2}(-[A-Za-z0-9]+)?)$")
_ESCAPES = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\\\": "\\", "\\'": "'", "\\$": "$"}
_IGNORED_DECORATORS = {"description", "metadata", "export"}
_PARAM_DECORATORS = {"minvalue", "maxvalue", "minlength", "maxlength", "allowed", "secure", *_IGNORED_DECORATORS}

# What to do instead, per construct outside the subset.
_UNSUPPORTED: dict[str, tuple[str, str]] = {
    "module_declaration": ("module", "put the module's resources in this file"),
    "for_statement": ("for loop", "write each item out"),
    "lambda_expression": ("lambda", "write the values out (filter/map/reduce are not evaluated here)"),
    "import_statement": ("import", "declare what you import in this file"),
    "import_functionality": ("import", "declare what you import in this file"),
    "import_with_statement": ("import", "declare what you import in this file"),
    "using_statement": ("using", "use a JSON parameters file (infra/provision/inference.parameters.json)"),
    "type_declaration": ("user-defined type", "use string, int, bool, array or object"),
    "user_defined_function": ("user-defined function", "write the expression out where it is used"),
    "assert_statement": ("assert", "remove it"),
    "test_block": ("test block", "remove it"),
    "metadata_declaration": ("", ""),  # harmless: skipped
}


class _Reader:
    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.path = path

    def span(self, node: Any) -> Span:
        row, column = node.start_point
        # tree-sitter columns are bytes; users count characters.
        line_start = self.source.rfind(b"\n", 0, node.start_byte) + 1
        column = len(self.source[line_start:node.start_byte].decode("utf-8", "replace"))
        return Span(self.path, row + 1, column + 1)

    def fail(self, node: Any, construct: str, fix: str) -> BicepError:
        return BicepError(self.span(node), construct, fix)

    @staticmethod
    def text(node: Any) -> str:
        return str(node.text.decode("utf-8"))

    @staticmethod
    def named(node: Any) -> list[Any]:
        return [c for c in node.named_children if c.type not in ("comment", "diagnostic_comment")]

    # --- expressions

    def expr(self, node: Any) -> Expr:  # noqa: C901 - one dispatch over the grammar's expression kinds
        kind, span = node.type, self.span(node)
        if kind in _UNSUPPORTED:
            construct, fix = _UNSUPPORTED[kind]
            raise self.fail(node, construct, fix)
        if kind == "string":
            return self.string(node)
        if kind == "number":
            return Literal(span, int(self.text(node)))
        if kind == "boolean":
            return Literal(span, self.text(node) == "true")
        if kind == "null":
            return Literal(span, None)
        if kind in ("identifier", "compatible_identifier"):
            return Ref(span, self.text(node))
        if kind == "parenthesized_expression":
            return self.expr(self.named(node)[0])
        if kind == "array":
            return ArrayExpr(span, tuple(self.array_items(node)))
        if kind == "object":
            return self.object(node)
        if kind == "member_expression":
            target = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            safe = any(not c.is_named and self.text(c) == ".?" for c in node.children)
            return Member(span, self.expr(target), self.text(prop), safe)
        if kind == "subscript_expression":
            target = node.child_by_field_name("object")
            index = node.child_by_field_name("index")
            safe = any(not c.is_named and self.text(c) == "?" for c in node.children)
            return Index(span, self.expr(target), self.expr(index), safe)
        if kind == "call_expression":
            return self.call(node)
        if kind == "unary_expression":
            operator = self.text(node.child_by_field_name("operator"))
            return Unary(span, operator, self.expr(node.child_by_field_name("argument")))
        if kind == "binary_expression":
            operator = self.text(node.child_by_field_name("operator"))
            return Binary(span, operator, self.expr(node.child_by_field_name("left")),
                          self.expr(node.child_by_field_name("right")))
        if kind == "ternary_expression":
            return Ternary(span, self.expr(node.child_by_field_name("condition")),
                           self.expr(node.child_by_field_name("consequence")),
                           self.expr(node.child_by_field_name("alternative")))
        raise self.fail(node, f"expression ({kind.replace('_', ' ')})", "rewrite it with the supported subset")

    def array_items(self, node: Any) -> list[Expr]:
        """tree-sitter-bicep 1.1 reads a call that opens an array (`[ join(a, b) ]`) as an identifier followed
        by a parenthesized expression; they touch, which separate items cannot: join them back into the call."""
        items = self.named(node)
        result: list[Expr] = []
        index = 0
        while index < len(items):
            item = items[index]
            following = items[index + 1] if index + 1 < len(items) else None
            if (item.type == "identifier" and following is not None and following.type == "parenthesized_expression"
                    and following.start_byte == item.end_byte):
                args = tuple(self.expr(a) for a in self.named(following))
                result.append(Call(self.span(item), self.text(item), args))
                index += 2
                continue
            result.append(self.expr(item))
            index += 1
        return result

    def string(self, node: Any) -> Expr:
        span = self.span(node)
        raw = self.text(node)
        if raw.startswith("'''"):  # multi-line: no escapes, no interpolation; a first newline is dropped
            body = raw[3:-3]
            body = body[2:] if body.startswith("\r\n") else body[1:] if body.startswith("\n") else body
            return Literal(span, body)
        parts: list[str | Expr] = []
        for child in node.children:
            if child.type == "string_content":
                parts.append(self.text(child))
            elif child.type == "escape_sequence":
                parts.append(self.escape(child))
            elif child.type == "interpolation":
                inner = self.named(child)
                if len(inner) != 1:
                    raise self.fail(child, "empty interpolation", "put an expression inside ${...}")
                parts.append(self.expr(inner[0]))
        merged: list[str | Expr] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        if all(isinstance(p, str) for p in merged):
            return Literal(span, "".join(p for p in merged if isinstance(p, str)))
        return Interpolated(span, tuple(merged))

    def escape(self, node: Any) -> str:
        text = self.text(node)
        if text in _ESCAPES:
            return _ESCAPES[text]
        if text.startswith("\\u{") and text.endswith("}"):
            return chr(int(text[3:-1], 16))
        raise self.fail(node, f"escape sequence {text}", "use \\n, \\r, \\t, \\\\, \\', \\$ or \\u{hex}")

    def object(self, node: Any) -> ObjectExpr:
        properties: list[tuple[str, Expr, Span]] = []
        seen: set[str] = set()
        for prop in self.named(node):
            if prop.type != "object_property":
                raise self.fail(prop, prop.type.replace("_", " "), "use `key: value` pairs")
            parts = self.named(prop)
            if parts and parts[0].type == "resource_declaration":
                raise self.fail(parts[0], "nested resource", "declare it at the top level with `parent:`")
            if len(parts) != 2:
                raise self.fail(prop, "object property", "use `key: value`")
            key_node, value_node = parts
            key = self.string(key_node) if key_node.type == "string" else None
            if key is None:
                name = self.text(key_node)
            elif isinstance(key, Literal):
                name = str(key.value)
            else:
                raise self.fail(key_node, "interpolated property name", "use a fixed property name")
            if name.lower() in seen:
                raise self.fail(key_node, f"duplicate property '{name}'", "keep one")
            seen.add(name.lower())
            properties.append((name, self.expr(value_node), self.span(key_node)))
        return ObjectExpr(self.span(node), tuple(properties))

    def call(self, node: Any) -> Expr:
        span = self.span(node)
        function = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        args = tuple(self.expr(a) for a in self.named(args_node)) if args_node is not None else ()
        if function.type == "identifier":
            return Call(span, self.text(function), args)
        if function.type == "member_expression":
            target = function.child_by_field_name("object")
            name = self.text(function.child_by_field_name("property"))
            if target.type == "identifier" and self.text(target) in ("sys", "az"):
                return Call(span, name, args)
            return MethodCall(span, self.expr(target), name, args)
        raise self.fail(node, "call of an expression", "call a function by name")

    # --- declarations

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
        elif kind in _UNSUPPORTED:
            construct, fix = _UNSUPPORTED[kind]
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
            construct = _UNSUPPORTED.get(value.type, (value.type.replace("_", " "), ""))[0]
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
    """Parse and check the subset; raises BicepError at the first problem."""
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
    return result
