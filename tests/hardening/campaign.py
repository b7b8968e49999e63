"""What the fault and crash campaigns share: sizes, workspace changes between deploys, the checks after each
deploy (share byte-identical to the workspace, endpoint serving the new version), the secret scan, and an endpoint
poller that records what answered while a deploy ran (also used by bench/release_bench.py)."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
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


@dataclass(frozen=True)
class Poll:
    sent: float  # time.monotonic() when the request was sent
    seconds: float  # until the answer (or the error)
    body: bytes | None  # None: the request failed
    error: str = ""


class EndpointPoller:
    """Calls a URL every `interval` seconds from a thread, a new connection each time (as a browser tab or curl
    would), recording when each request went out, how long it took and what answered."""

    def __init__(self, url: str, interval: float = 0.05, timeout: float = 10) -> None:
        self.url, self.interval, self.timeout = url, interval, timeout
        self.polls: list[Poll] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=self.timeout) as response:
                    self.polls.append(Poll(sent, time.monotonic() - sent, response.read()))
            except (urllib.error.URLError, OSError) as error:
                self.polls.append(Poll(sent, time.monotonic() - sent, None, str(error)))
            self._stop.wait(self.interval)

    def __enter__(self) -> EndpointPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 5)

    @property
    def errors(self) -> list[Poll]:
        return [p for p in self.polls if p.body is None]

    def held_seconds(self, over: float = 1.0) -> float:
        """How long answered requests waited when they took more than `over` seconds (an ingress holds requests
        while a replica starts: no error, but no answer either)."""
        return sum(p.seconds for p in self.polls if p.body is not None and p.seconds > over)

    def unavailable_seconds(self) -> float:
        """How long the URL failed: from each failed request's sending to the next answered one's (or to the last
        request's end when none answered after it)."""
        total, down_since = 0.0, None
        for poll in self.polls:
            if poll.body is None and down_since is None:
                down_since = poll.sent
            elif poll.body is not None and down_since is not None:
                total, down_since = total + poll.sent - down_since, None
        if down_since is not None and self.polls:
            total += self.polls[-1].sent + self.polls[-1].seconds - down_since
        return total
