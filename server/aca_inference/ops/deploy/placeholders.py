"""Unfilled template placeholders in the app's Python files, and the paths under the share the app reads.

A template (the AI Toolkit's `gradio_chat.py`) leaves `<name>` where the generator should have written a value:
`torch.<compute_dtype>` (a SyntaxError at start), `'<quant_type>'` and `"<prompt_template>"` (a crash or a wrong
prompt once the model loads). Read with Python's tokenizer, so comments never count and nothing is executed:
- in code, `<name>` where `<` cannot be a comparison (after `.`, `=`, `(`, `,`, an operator or at a line's
  start): `a < b > c` is a comparison chain and stays;
- a string literal that is nothing but `<name>`, unless the name is an HTML element (`"<br>"`) or a tokenizer's
  special token (`"<pad>"`, `"<start_of_turn>"`) or CamelCase (`"<Metadata>"`, XML): markup inside longer strings
  never counts.
"""

from __future__ import annotations

import ast
import io
import keyword
import posixpath
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"\s*<([A-Za-z_][A-Za-z0-9_]*)>\s*")
# A template's placeholder is snake_case or UPPER_CASE; `<Metadata>`-style CamelCase is an XML element.
_TEMPLATE_NAME = re.compile(r"[a-z][a-z0-9_]*|[A-Z][A-Z0-9_]+")
_HTML = set(["a", "abbr", "article", "aside", "audio", "b", "big", "blockquote", "body", "br", "button", "canvas", "caption", "center", "code", "col", "dd", "del", "details", "dialog", "div", "dl", "dt", "em", "embed", "fieldset", "figure", "font", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "mark", "meta", "nav", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture", "pre", "progress", "q", "s", "samp", "script", "section", "select", "small", "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var", "video", "wbr"])
_SPECIAL_TOKENS = {"pad", "unk", "eos", "bos", "mask", "sep", "cls", "eod", "eot", "endoftext", "image", "think",
                   "answer", "tool_call", "tool_response", "start_of_turn", "end_of_turn", "start_of_image",
                   "end_of_image", "sys", "user", "assistant", "system", "fim_prefix", "fim_middle", "fim_suffix"}
_CLOSING = {")", "]", "}"}
_VALUES = {"True", "False", "None"}
_MODEL_FOLDERS = ("model-cache", "models")


@dataclass(frozen=True)
class Placeholder:
    file: str  # workspace-relative
    line: int
    column: int
    name: str  # compute_dtype
    written: str  # as it stands in the file: torch.<compute_dtype>, '<quant_type>'


@dataclass(frozen=True)
class SharePathRead:
    """A path under the share that the app's code names (a string literal), resolved as the app will see it."""

    file: str
    line: int
    column: int
    share_path: str  # model-cache/microsoft/Phi-3-mini-4k-instruct
    written: str  # ../model-cache/microsoft/Phi-3-mini-4k-instruct


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    found: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            found.append(token)
    except (tokenize.TokenError, SyntaxError):
        pass  # what was read so far still counts; the rest of a broken file is Python's to report
    return found


def _string_value(token: tokenize.TokenInfo) -> str | None:
    if token.type != tokenize.STRING:
        return None
    try:
        value = ast.literal_eval(token.string)
    except (ValueError, SyntaxError):
        return None  # an f-string (3.11) or bytes: not a literal we read
    return value if isinstance(value, str) else None


def find_placeholders(root: Path, relative: str) -> list[Placeholder]:
    text = (root / relative).read_text(encoding="utf-8", errors="replace")
    tokens = [t for t in _tokens(text) if t.type not in (tokenize.COMMENT, tokenize.NL)]
    found: list[Placeholder] = []
    for index, token in enumerate(tokens):
        value = _string_value(token)
        if value is not None:
            match = _NAME.fullmatch(value)
            if match and _TEMPLATE_NAME.fullmatch(match.group(1)) and match.group(1).lower() not in _HTML | _SPECIAL_TOKENS:
                found.append(Placeholder(relative, token.start[0], token.start[1] + 1, match.group(1), token.string))
            continue
        if token.string != "<" or index + 2 >= len(tokens):
            continue
        name, closing = tokens[index + 1], tokens[index + 2]
        if name.type != tokenize.NAME or closing.string != ">" or name.start[0] != token.start[0]:
            continue
        before = tokens[index - 1] if index else None
        value_before = before is not None and (
            (before.type == tokenize.NAME and (not keyword.iskeyword(before.string) or before.string in _VALUES))
            or before.type in (tokenize.NUMBER, tokenize.STRING) or before.string in _CLOSING)
        if value_before:  # `a <b> c` is a comparison chain; after `return`, `=`, `.`, `(` it cannot be
            continue
        start = before if before is not None and before.string == "." and index >= 2 else token
        if start is before and tokens[index - 2].type == tokenize.NAME:
            start = tokens[index - 2]  # torch.<compute_dtype>
        line = token.line.splitlines()[0] if token.line else ""
        written = line[start.start[1]:closing.end[1]] if start.start[0] == token.start[0] else f"<{name.string}>"
        found.append(Placeholder(relative, token.start[0], start.start[1] + 1, name.string, written))
    return found


def share_paths_read(root: Path, relative: str, cwd: str, mount: str) -> list[SharePathRead]:
    """String literals naming a place under the share's model-cache/ or models/ as the app resolves them from the
    folder its command runs in (`../model-cache/x` from /mount/inference is the share's `model-cache/x`)."""
    text = (root / relative).read_text(encoding="utf-8", errors="replace")
    found: list[SharePathRead] = []
    for token in _tokens(text):
        value = _string_value(token)
        if not value or "/" not in value or any(c in value for c in "<>{}*?\n%"):
            continue
        resolved = posixpath.normpath(posixpath.join(cwd, value))
        if not resolved.startswith(mount + "/"):
            continue
        inside = resolved[len(mount) + 1:]
        if inside.split("/", 1)[0] in _MODEL_FOLDERS and "/" in inside:
            found.append(SharePathRead(relative, token.start[0], token.start[1] + 1, inside, value))
    return found
