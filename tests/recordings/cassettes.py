"""Real Azure traffic recorded by the Azure CLI containerapp extension's tests (vcrpy cassettes), read from
`../shared/azure-recordings/` beside the repository root (or beside the main checkout of a git worktree;
ACA_AZURE_RECORDINGS points elsewhere). Never copied into the project."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.shared_data import shared_path


def recordings_dir() -> Path:
    return shared_path("azure-recordings", "ACA_AZURE_RECORDINGS")


def missing_reason() -> str | None:
    """Why the recordings cannot be read, or None."""
    folder = recordings_dir()
    if not folder.is_dir() or not any(folder.glob("*.yaml")):
        return f"the recorded Azure traffic is not at {folder} (expected ../shared/azure-recordings beside the repository)"
    try:
        import yaml  # noqa: F401
    except ImportError:
        return "PyYAML is needed to read the vcrpy cassettes (pip install pyyaml)"
    return None


@dataclass
class Interaction:
    index: int
    method: str
    uri: str
    request_body: str | None
    status: int
    headers: dict[str, str]  # lower-case names, first value
    body_text: str

    @property
    def host(self) -> str:
        return urlsplit(self.uri).netloc.lower()

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> str:
        return urlsplit(self.uri).query

    def request_json(self) -> Any:
        return _json(self.request_body)

    def response_json(self) -> Any:
        return _json(self.body_text)


def _json(text: str | None) -> Any:
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):  # vcrpy's {"string": ...}
        return _text(value.get("string"))
    return str(value)


@cache
def load(name: str) -> tuple[Interaction, ...]:
    import yaml

    data = yaml.safe_load((recordings_dir() / name).read_text())
    result = []
    for index, item in enumerate(data.get("interactions") or []):
        request, response = item["request"], item["response"]
        headers = {k.lower(): (v[0] if isinstance(v, list) and v else str(v)) for k, v in
                   (response.get("headers") or {}).items()}
        result.append(Interaction(index, request["method"].upper(), request["uri"], _text(request.get("body")),
                                  int(response["status"]["code"]), headers, _text(response.get("body")) or ""))
    return tuple(result)


def cassette_names() -> list[str]:
    return sorted(p.name for p in recordings_dir().glob("*.yaml"))


ARM_ITEM = re.compile(r"/providers/Microsoft\.App/(containerApps|managedEnvironments)/[^/]+(/revisions/[^/]+"
                      r"(/replicas(/[^/]+)?)?|/revisions|/storages(/[^/]+)?)?$", re.IGNORECASE)


def recorded_get_bodies(kind: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Every 2xx JSON body Azure answered to a GET of `kind` (containerApps, managedEnvironments, revisions,
    replicas, storages), one item per resource (lists unrolled): (cassette, interaction index, body)."""
    wanted = {"containerapps": "Microsoft.App/containerApps", "managedenvironments": "Microsoft.App/managedEnvironments",
              "revisions": "Microsoft.App/containerApps/revisions",
              "replicas": "Microsoft.App/containerApps/revisions/replicas",
              "storages": "Microsoft.App/managedEnvironments/storages"}[kind.lower()]
    for name in cassette_names():
        for interaction in load(name):
            if interaction.method != "GET" or not 200 <= interaction.status < 300 \
                    or "management.azure.com" not in interaction.host:
                continue
            body = interaction.response_json()
            if not isinstance(body, dict):
                continue
            items = body["value"] if isinstance(body.get("value"), list) else [body]
            for item in items:
                if isinstance(item, dict) and str(item.get("type", "")).lower() == wanted.lower():
                    yield name, interaction.index, item
