"""`init DIR`: write a ready workspace - the infra/ templates and the inference/ app.

The installed package carries them as data (scaffold_data/, see pyproject's force-include); in a source
checkout the repo's own infra/ and inference/ are the source. An existing file is never overwritten
without `force`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import InputError
from ..workspace.paths import template_source as scaffold_source
from .reporter import Reporter
from .results import InitResult

SCAFFOLD_FOLDERS = ("infra", "inference")
_SKIP = {"__pycache__", ".pytest_cache"}


def _template_files(source: Path) -> list[Path]:
    files: list[Path] = []
    for folder in SCAFFOLD_FOLDERS:
        for path in sorted((source / folder).rglob("*")):
            relative = path.relative_to(source)
            if path.is_file() and not _SKIP.intersection(relative.parts) and path.suffix != ".pyc":
                files.append(relative)
    return files


async def init_workspace(target: Path, reporter: Reporter, *, force: bool = False) -> InitResult:
    source = scaffold_source()
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a folder; choose another path for the workspace.")
    written: list[str] = []
    kept: list[str] = []
    for relative in _template_files(source):
        destination = target / relative
        if destination.exists() and not force:
            kept.append(str(relative))
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, destination)
        written.append(str(relative))
    for path in written:
        reporter.log(f"wrote {path}")
    if kept:
        reporter.log(f"kept {len(kept)} existing file(s) (use --force to overwrite): " + ", ".join(kept), "warning")
    await reporter.notify(f"Workspace ready in {target}: {len(written)} file(s) written, {len(kept)} kept.")
    return InitResult(summary=f"Workspace ready: {target}", workspace=str(target), written=written, kept=kept)
