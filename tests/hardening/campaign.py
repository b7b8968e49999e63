"""What the fault and crash campaigns share: sizes, workspace changes between deploys, the checks after each
deploy (share byte-identical to the workspace, endpoint serving the new version) and the secret scan."""

from __future__ import annotations

import json
import os
import random
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.hardening.conftest import local_tree, share_tree
from tests.provision.arm import ArmProbe

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def campaign_size(quick: int, full: int) -> int:
    """`ACA_CAMPAIGN=full` runs the full size; anything else (CI) the quick one."""
    return full if os.environ.get("ACA_CAMPAIGN", "").lower() == "full" else quick


def change_workspace(root: Path, step: int, rng: random.Random) -> str:
    """A new version of the app: a changed file, an added one, one removed, now and then a larger one.
    Returns the message the endpoint must serve once it is deployed."""
    message = f"version {step}\n"
    (root / "inference" / "message.txt").write_text(message)
    extra = root / "inference" / "extra"
    extra.mkdir(exist_ok=True)
    (extra / f"file-{step}.txt").write_text(f"added in step {step}\n" * rng.randint(1, 50))
    stale = extra / f"file-{step - 2}.txt"
    if stale.exists():
        stale.unlink()
    if step % 4 == 0:
        (extra / "large.bin").write_bytes(rng.randbytes(rng.randint(1, 6) * 1024 * 1024))
    return message


def serves(endpoint: str, expected: str, timeout: float = 10) -> bool:
    with urllib.request.urlopen(endpoint + "/", timeout=timeout) as response:
        return bool(response.read().decode() == expected)


def share_matches(emulator: Any, config: dict[str, Any], root: Path) -> bool:
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    return share_tree(share) == local_tree(root)


def secrets(emulator: Any, config: dict[str, Any]) -> list[str]:
    """The storage account keys and the app's API key (what must never be printed or written)."""
    arm = ArmProbe(emulator)
    keys = arm.storage().storage_accounts.list_keys(config["RESOURCE_GROUP_NAME"], config["STORAGE_ACCOUNT_NAME"])
    listed = arm.apps().container_apps.list_secrets(config["RESOURCE_GROUP_NAME"], config["ACA_APP_NAME"])
    found = ([k["value"] for k in keys.as_dict()["keys"]]
             + [s["value"] for s in listed.as_dict()["value"] if s.get("value")])
    assert len(found) >= 3, "expected two account keys and the API key"
    return found


def secret_hits(texts: dict[str, str], folders: list[Path], secret_values: list[str]) -> list[str]:
    """Where any secret appears: in the given outputs, or in any file under the folders."""
    import urllib.parse

    needles = {form for value in secret_values for form in (value, urllib.parse.quote(value, safe=""))}
    hits = [f"{name}: {needle[:6]}..." for name, text in texts.items() for needle in needles if needle in text]
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                hits += [f"{path}: {n[:6]}..." for n in needles if n.encode() in data]
    return hits


@dataclass
class CampaignRecord:
    name: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(self, **row: Any) -> None:
        """Record one run; the figures so far are on disk at once (a long campaign cut short keeps them)."""
        self.runs.append(row)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{self.name}.partial.json").write_text(json.dumps(self.runs))

    def save(self, **summary: Any) -> dict[str, Any]:
        result = {"campaign": self.name, "seconds": round(time.monotonic() - self.started, 1), **summary,
                  "runs": self.runs}
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{self.name}.json").write_text(json.dumps(result, indent=2))
        print(json.dumps({k: v for k, v in result.items() if k != "runs"}))
        return result
