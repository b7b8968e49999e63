"""A workspace whose app runs its code in place on the share (the container's command is the old
`/bin/bash -c '<commands>'`, no release launcher): what an AI Toolkit project's own app does. Deploys to it sync
in place and restart."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.deploy.conftest import make_workspace

REPO = Path(__file__).resolve().parents[2]
LAUNCHER_COMMAND = """          command: [
            'python3'
            '${mountPath}/.aca-inference/launch.py'
            '${mountPath}/${appFolder}'
            '/bin/bash'
            '-c'
          ]"""
IN_PLACE_COMMAND = """          command: [
            '/bin/bash'
            '-c'
          ]"""


def make_in_place_workspace(root: Path) -> Path:
    make_workspace(root)
    bicep = root / "infra" / "provision" / "inference.bicep"
    bicep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "infra" / "provision" / "inference.bicep", bicep)
    text = bicep.read_text()
    assert LAUNCHER_COMMAND in text, "infra/provision/inference.bicep no longer has the launcher command this expects"
    bicep.write_text(text.replace(LAUNCHER_COMMAND, IN_PLACE_COMMAND))
    return root
