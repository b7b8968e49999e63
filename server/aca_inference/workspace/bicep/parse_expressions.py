"""tree-sitter's Bicep expressions read into `syntax_tree` nodes, with the position of each.

The reader here knows expressions only; `parse.py` extends it with declarations and the whole file. Whatever
is outside the supported subset is refused with `file:line:column`, the construct and what to do instead.
"""

from __future__ import annotations

from typing import Any

from . import syntax_tree as tree
from .errors import BicepError, Span

_ESCAPES = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\\\": "\\", "\\'": "'", "\\$": "$"}

# What to do instead, per construct outside the subset: both expressions and declarations can meet one.
UNSUPPORTED: dict[str, tuple[str, str]] = {
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


class ExpressionReader:
    """Reads one file's tree-sitter nodes; the positions it gives are the user's (1-based, in characters)."""

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

    def expr(self, node: Any) -> tree.Expr:  # noqa: C901 - one dispatch over the grammar's expression kinds
        kind, span = node.type, self.span(node)
        if kind in UNSUPPORTED:
            construct, fix = UNSUPPORTED[kind]
            raise self.fail(node, construct, fix)
        if kind == "string":
            return self.string(node)
        if kind == "number":
            return tree.Literal(span, int(self.text(node)))
        if kind == "boolean":
            return tree.Literal(span, self.text(node) == "true")
        if kind == "null":
            return tree.Literal(span, None)
        if kind in ("identifier", "compatible_identifier"):
            return tree.Ref(span, self.text(node))
        if kind == "parenthesized_expression":
            return self.expr(self.named(node)[0])
        if kind == "array":
            return tree.ArrayExpr(span, tuple(self.array_items(node)))
        if kind == "object":
            return self.object(node)
        if kind == "member_expression":
            target = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            safe = any(not c.is_named and self.text(c) == ".?" for c in node.children)
            return tree.Member(span, self.expr(target), self.text(prop), safe)
        if kind == "subscript_expression":
            target = node.child_by_field_name("object")
            index = node.child_by_field_name("index")
            safe = any(not c.is_named and self.text(c) == "?" for c in node.children)
            return tree.Index(span, self.expr(target), self.expr(index), safe)
        if kind == "call_expression":
            return self.call(node)
        if kind == "unary_expression":
            operator = self.text(node.child_by_field_name("operator"))
            return tree.Unary(span, operator, self.expr(node.child_by_field_name("argument")))
        if kind == "binary_expression":
            operator = self.text(node.child_by_field_name("operator"))
            return tree.Binary(span, operator, self.expr(node.child_by_field_name("left")),
                               self.expr(node.child_by_field_name("right")))
        if kind == "ternary_expression":
            return tree.Ternary(span, self.expr(node.child_by_field_name("condition")),
                                self.expr(node.child_by_field_name("consequence")),
                                self.expr(node.child_by_field_name("alternative")))
        raise self.fail(node, f"expression ({kind.replace('_', ' ')})", "rewrite it with the supported subset")

    def array_items(self, node: Any) -> list[tree.Expr]:
        """tree-sitter-bicep 1.1 reads a call that opens an array (`[ join(a, b) ]`) as an identifier followed
        by a parenthesized expression; they touch, which separate items cannot: join them back into the call."""
        items = self.named(node)
        result: list[tree.Expr] = []
        index = 0
        while index < len(items):
            item = items[index]
            following = items[index + 1] if index + 1 < len(items) else None
            if (item.type == "identifier" and following is not None and following.type == "parenthesized_expression"
                    and following.start_byte == item.end_byte):
                args = tuple(self.expr(a) for a in self.named(following))
                result.append(tree.Call(self.span(item), self.text(item), args))
                index += 2
                continue
            result.append(self.expr(item))
            index += 1
        return result

    def string(self, node: Any) -> tree.Expr:
        span = self.span(node)
        raw = self.text(node)
        if raw.startswith("'''"):  # multi-line: no escapes, no interpolation; a first newline is dropped
            body = raw[3:-3]
            body = body[2:] if body.startswith("\r\n") else body[1:] if body.startswith("\n") else body
            return tree.Literal(span, body)
        parts: list[str | tree.Expr] = []
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
        merged: list[str | tree.Expr] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        if all(isinstance(p, str) for p in merged):
            return tree.Literal(span, "".join(p for p in merged if isinstance(p, str)))
        return tree.Interpolated(span, tuple(merged))

    def escape(self, node: Any) -> str:
        text = self.text(node)
        if text in _ESCAPES:
            return _ESCAPES[text]
        if text.startswith("\\u{") and text.endswith("}"):
            return chr(int(text[3:-1], 16))
        raise self.fail(node, f"escape sequence {text}", "use \\n, \\r, \\t, \\\\, \\', \\$ or \\u{hex}")

    def object(self, node: Any) -> tree.ObjectExpr:
        properties: list[tuple[str, tree.Expr, Span]] = []
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
            elif isinstance(key, tree.Literal):
                name = str(key.value)
            else:
                raise self.fail(key_node, "interpolated property name", "use a fixed property name")
            if name.lower() in seen:
                raise self.fail(key_node, f"duplicate property '{name}'", "keep one")
            seen.add(name.lower())
            properties.append((name, self.expr(value_node), self.span(key_node)))
        return tree.ObjectExpr(self.span(node), tuple(properties))

    def call(self, node: Any) -> tree.Expr:
        span = self.span(node)
        function = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        args = tuple(self.expr(a) for a in self.named(args_node)) if args_node is not None else ()
        if function.type == "identifier":
            return tree.Call(span, self.text(function), args)
        if function.type == "member_expression":
            target = function.child_by_field_name("object")
            name = self.text(function.child_by_field_name("property"))
            if target.type == "identifier" and self.text(target) in ("sys", "az"):
                return tree.Call(span, name, args)
            return tree.MethodCall(span, self.expr(target), name, args)
        raise self.fail(node, "call of an expression", "call a function by name")
