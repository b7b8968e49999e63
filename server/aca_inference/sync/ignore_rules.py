"""Which workspace files a deploy leaves out: .gitignore rules (every level, git's precedence), our own
`.acainferenceignore` (same syntax, applied after .gitignore so `!pattern` there can bring a git-ignored file
back) and built-in excludes for things no inference app needs on the share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pathspec

IGNORE_FILE = ".acainferenceignore"

# Folders and files never worth uploading: VCS data, environments, caches, editor/OS litter.
BUILTIN_EXCLUDES = (
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", "node_modules/", "__pycache__/", "*.py[cod]", ".mypy_cache/",
    ".pytest_cache/", ".ruff_cache/", ".tox/", ".nox/", ".ipynb_checkpoints/", ".cache/", ".aca-inference/",
    ".DS_Store", "Thumbs.db", ".gitignore", IGNORE_FILE,
)


@dataclass(frozen=True)
class _Layer:
    base: str  # directory (relative to the root, '' for the root) the rules are written against
    spec: pathspec.GitIgnoreSpec


class UnreadableIgnoreFile(OSError):
    """An ignore file exists but cannot be read: the rules, and so what gets uploaded, would be wrong."""

    def __init__(self, relative: str, why: str) -> None:
        super().__init__(f"{relative}: {why}")
        self.relative = relative
        self.why = why


def _load(path: Path, root: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as error:
        raise UnreadableIgnoreFile(path.relative_to(root).as_posix(), error.strerror or type(error).__name__) from None
    return pathspec.GitIgnoreSpec.from_lines(lines) if any(line.strip() for line in lines) else None


class IgnoreRules:
    """A stack of rule layers; `child(directory)` adds the ignore files found in a directory."""

    def __init__(self, root: Path, *, git: tuple[_Layer, ...] = (), ours: tuple[_Layer, ...] = ()) -> None:
        self.root = root
        self._git = git
        self._ours = ours

    @classmethod
    def for_root(cls, root: Path) -> IgnoreRules:
        builtin = _Layer("", pathspec.GitIgnoreSpec.from_lines(BUILTIN_EXCLUDES))
        git = [builtin]
        exclude = _load(root / ".git" / "info" / "exclude", root)
        if exclude is not None:
            git.append(_Layer("", exclude))
        return cls(root, git=tuple(git)).child("")

    def child(self, directory: str) -> IgnoreRules:
        base = self.root / directory if directory else self.root
        git, ours = self._git, self._ours
        gitignore = _load(base / ".gitignore", self.root)
        if gitignore is not None:
            git = (*git, _Layer(directory, gitignore))
        own = _load(base / IGNORE_FILE, self.root)
        if own is not None:
            ours = (*ours, _Layer(directory, own))
        if git is self._git and ours is self._ours:
            return self
        return IgnoreRules(self.root, git=git, ours=ours)

    @staticmethod
    def _verdict(layers: tuple[_Layer, ...], path: str, is_dir: bool) -> bool | None:
        # Deeper files win over shallower ones, later lines over earlier ones (pathspec does the latter).
        for layer in reversed(layers):
            relative = path[len(layer.base) + 1:] if layer.base else path
            result = layer.spec.check_file(relative + "/" if is_dir else relative)
            if result.include is not None:
                return result.include
        return None

    def ignores(self, path: str, *, is_dir: bool) -> bool:
        ours = self._verdict(self._ours, path, is_dir)
        if ours is not None:
            return ours
        return bool(self._verdict(self._git, path, is_dir))
