"""The VSIX carries the daemon's source, which the extension pip-installs into its own environment: every package
the wheel builds must be in it, or the daemon a user gets cannot import (the end-to-end VS Code test installs it
for real; this says which line is missing in a second)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_vsix_allow_list_carries_every_package_the_wheel_builds() -> None:
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"][
        "packages"]
    allowed = {line.strip() for line in (REPO / ".vscodeignore").read_text().splitlines() if line.startswith("!")}
    missing = [package for package in packages if f"!{package}/**" not in allowed]
    assert not missing, f".vscodeignore lacks {', '.join(f'!{p}/**' for p in missing)}"
    on_disk = sorted(p.parent.relative_to(REPO).as_posix() for p in (REPO / "server").glob("*/__init__.py"))
    assert sorted(packages) == on_disk  # a new package under server/ is built into the wheel too
