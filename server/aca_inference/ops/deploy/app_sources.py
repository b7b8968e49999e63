"""Which workspace files the app's command actually runs: the Python scripts the container's command starts (read
from the template's command and args as the shell would run them, `cd` included) and the local modules those
import, followed transitively. The deploy preflight checks these files only: a placeholder in a file nothing runs
(a notebook helper, a test) cannot crash the app, so it is no reason to refuse a deploy.

Chosen rules: `python[3] [options] script.py`, `python -m module` and `uvicorn|gunicorn module:app` start an
entry; `import x` / `from x import y` / `from . import y` follow to `x.py` or `x/__init__.py` next to the entry
(Python's sys.path[0]); a string naming a sibling `*.py` file follows too (start.py runs app.py in a subprocess).
Not followed: importlib, exec, runpy (what they load is known only when they run; a crash there is explained from
the log instead, crash_hint.py). Anything else (pip, shell builtins, our launcher under .aca-inference/) is not the
app's code.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

DEFAULT_MOUNT = "/mount"
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_SHELL_SEPARATORS = re.compile(r"&&|\|\||;|\n|\|")
_OPTIONS_WITH_VALUE = {"-X", "-W", "-Q"}
_ASGI_SERVERS = {"uvicorn", "gunicorn"}
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[\w \t,*]+)|import[ \t]+([\w \t.,]+))",
                     re.MULTILINE)
_SIBLING_SCRIPT = re.compile(r"""["']([\w-]+\.py)["']""")
_MAX_FILES = 200  # a vendored package in the app folder would be followed too; its size bounds nothing useful


@dataclass(frozen=True)
class AppEntry:
    """An entry script the container runs, with where the command runs it (relative paths the app opens resolve
    against `cwd`, a path inside the container)."""

    script: str  # workspace-relative, e.g. "inference/gradio_chat.py"
    cwd: str  # e.g. "/mount/inference"


def mount_path(template: dict[str, Any] | None) -> str:
    """Where the container mounts the share (the template's first volume mount; /mount by default)."""
    for container in _containers(template):
        for mount in container.get("volumeMounts") or []:
            if isinstance(mount, dict) and isinstance(mount.get("mountPath"), str):
                return str(mount["mountPath"]).rstrip("/") or DEFAULT_MOUNT
    return DEFAULT_MOUNT


def _containers(template: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [c for c in (template or {}).get("containers") or [] if isinstance(c, dict)]


def _shell_scripts(container: dict[str, Any]) -> list[str]:
    """The command lines the container runs: `bash -c SCRIPT...` gives the scripts, else argv is one command."""
    argv = [str(part) for part in [*(container.get("command") or []), *(container.get("args") or [])]]
    if "-c" in argv:
        return argv[argv.index("-c") + 1:]
    return [shlex.join(argv)] if argv else []


def _asgi_target(words: list[str]) -> tuple[str, bool] | None:
    """`uvicorn module:app` / `gunicorn module:app`: the module holding the app."""
    spec = next((w for w in words[1:] if not w.startswith("-") and ":" in w), None)
    return (spec.split(":", 1)[0], True) if spec else None


def _python_target(words: list[str]) -> tuple[str, bool] | None:
    """(script or module, is_module) of a `python ...` (or `uvicorn`/`gunicorn`) command, or None."""
    if words and PurePosixPath(words[0]).name in _ASGI_SERVERS:
        return _asgi_target(words)
    if not words or not _PYTHON.match(PurePosixPath(words[0]).name):
        return None
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-m" and index + 1 < len(words):
            if words[index + 1] in _ASGI_SERVERS:
                return _asgi_target(words[index + 1:])
            return words[index + 1], True
        if word in _OPTIONS_WITH_VALUE:
            index += 2
            continue
        if word.startswith("-"):
            index += 1
            continue
        return word, False
    return None


def entry_scripts(root: Path, template: dict[str, Any] | None) -> list[AppEntry]:
    """The workspace scripts the template's containers start, in order, each once."""
    mount = mount_path(template)
    found: list[AppEntry] = []
    for container in _containers(template):
        cwd = str(container.get("workingDir") or "/")
        for script in _shell_scripts(container):
            for segment in _SHELL_SEPARATORS.split(script):
                try:
                    words = shlex.split(segment)
                except ValueError:
                    continue
                if len(words) >= 2 and words[0] == "cd":
                    cwd = posixpath.normpath(posixpath.join(cwd, words[1]))
                    continue
                target = _python_target(words)
                if target is None:
                    continue
                name, is_module = target
                path = posixpath.normpath(posixpath.join(cwd, name.replace(".", "/") + ".py" if is_module else name))
                relative = _in_workspace(root, mount, path)
                if relative is not None and all(e.script != relative for e in found):
                    found.append(AppEntry(relative, cwd))
    return found


def _in_workspace(root: Path, mount: str, container_path: str) -> str | None:
    """The workspace file a container path names (/mount/inference/app.py -> inference/app.py), or None for a
    file deploy does not upload (our launcher, anything outside the share)."""
    if not container_path.startswith(mount + "/"):
        return None
    relative = container_path[len(mount) + 1:]
    if relative.startswith(".aca-inference/") or not (root / relative).is_file():
        return None
    return relative


def app_sources(root: Path, entry: AppEntry) -> list[str]:
    """The entry script and every local module it imports, transitively (workspace-relative, entry first)."""
    base = PurePosixPath(entry.script).parent
    seen: list[str] = []
    queue = [entry.script]
    while queue and len(seen) < _MAX_FILES:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.append(current)
        try:
            text = (root / current).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        queue.extend(m for m in _imported(root, base, PurePosixPath(current), text) if m not in seen)
    return seen


def _imported(root: Path, base: PurePosixPath, current: PurePosixPath, text: str) -> list[str]:
    modules: list[str] = []
    for match in _IMPORT.finditer(text):
        if match.group(3) is not None:  # import a.b, c as d
            names = [part.split(" as ")[0].strip() for part in match.group(3).split(",")]
            modules += [_module_file(root, base, name) or "" for name in names]
            continue
        source, imported = match.group(1), match.group(2)
        dots = len(source) - len(source.lstrip("."))
        package = current.parent if dots else base
        for _ in range(max(dots - 1, 0)):
            package = package.parent
        module = source.lstrip(".")
        modules.append(_module_file(root, package, module) or "" if module else "")
        for name in re.split(r"[\s,()]+", imported):
            name = name.strip()
            if name and name != "*" and name != "as":
                modules.append(_module_file(root, package, f"{module}.{name}" if module else name) or "")
    for name in _SIBLING_SCRIPT.findall(text):
        if (root / current.parent / name).is_file():
            modules.append(str(current.parent / name))
    return [m for m in modules if m]


def _module_file(root: Path, package: PurePosixPath, dotted: str) -> str | None:
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        return None
    stem = package.joinpath(*parts)
    for candidate in (stem.with_suffix(".py") if stem.name else stem, stem / "__init__.py"):
        if (root / candidate).is_file():
            return str(candidate)
    return None
