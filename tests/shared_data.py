"""Where the reference data no one here wrote lives: `../shared/<name>` beside the repository root (the
session's and CI's layout), or, from a git worktree, beside the main checkout it belongs to. The tests read it
from there and never copy it into the project; an environment variable can point elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_path(name: str, override: str) -> Path:
    """`../shared/<name>` (e.g. azure-specs, azure-recordings); the variable `override` wins when set."""
    if os.environ.get(override):
        return Path(os.environ[override])
    roots = [REPO]
    git = REPO / ".git"
    if git.is_file():  # a worktree: ".git" says "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(git.read_text().partition("gitdir:")[2].strip())
        roots.append(gitdir.parents[2] if gitdir.parent.name == "worktrees" else gitdir.parent)
    candidates = [root.parent / "shared" / name for root in roots]
    return next((c for c in candidates if c.is_dir()), candidates[0])
