"""`infra/inference.config.json`: what provision wrote (or the user filled in by hand) and deploy reads.

Values may be null. Unknown keys and the key order are kept when we write; writes are atomic and keep the
file's form (BOM, indentation, line ends: see json_file.py). A value the user wrote is kept as written when
the new one means the same (ACA_APP_ENDPOINT with or without scheme or trailing slash); when it really
changes, `record_endpoint` says so, with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..azure.endpoints import app_url
from .json_file import read_json_object, write_json_atomic
from .naming import ResourceKind, check_name
from .problems import Problem, WorkspaceInvalid, describe

CONFIG_KEYS: tuple[str, ...] = (
    "SUBSCRIPTION_ID",
    "RESOURCE_GROUP_NAME",
    "STORAGE_ACCOUNT_NAME",
    "FILE_SHARE_NAME",
    "ACA_APP_NAME",
    "ACA_APP_ENDPOINT",
)

_NAME_KEYS: dict[str, ResourceKind] = {
    "RESOURCE_GROUP_NAME": ResourceKind.resource_group,
    "STORAGE_ACCOUNT_NAME": ResourceKind.storage_account,
    "FILE_SHARE_NAME": ResourceKind.file_share,
    "ACA_APP_NAME": ResourceKind.container_app,
}

_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class InferenceConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    SUBSCRIPTION_ID: str | None = None
    RESOURCE_GROUP_NAME: str | None = None
    STORAGE_ACCOUNT_NAME: str | None = None
    FILE_SHARE_NAME: str | None = None
    ACA_APP_NAME: str | None = None
    ACA_APP_ENDPOINT: str | None = None

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint as a URL; the file may hold it with or without the scheme."""
        return normalize_endpoint(self.ACA_APP_ENDPOINT) if self.ACA_APP_ENDPOINT else None

    def missing(self, keys: tuple[str, ...]) -> list[str]:
        return [key for key in keys if not getattr(self, key)]


def normalize_endpoint(value: str) -> str:
    """The endpoint as a URL: kept as is with a scheme; without one, like ACA's FQDN (http on loopback)."""
    value = value.strip().rstrip("/")
    return value if "://" in value else app_url(value)


def check_config(raw: dict[str, Any], display: str) -> tuple[InferenceConfig | None, list[Problem]]:
    import re

    problems: list[Problem] = []
    for key in CONFIG_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(Problem(display, key, "expected a string or null", describe(value)))
            continue
        if key == "SUBSCRIPTION_ID" and not re.match(_GUID, value):
            problems.append(Problem(display, key, "expected a subscription id (a GUID like 00000000-0000-0000-0000-000000000000)", describe(value)))
        elif key in _NAME_KEYS and (rule := check_name(_NAME_KEYS[key], value)) is not None:
            problems.append(Problem(display, key, rule, describe(value)))
        elif key == "ACA_APP_ENDPOINT" and (not value.strip() or " " in value.strip()):
            problems.append(Problem(display, key, "expected a host name or URL such as https://<app>.<region>.azurecontainerapps.io", describe(value)))
    if problems:
        return None, problems
    return InferenceConfig(**{k: raw.get(k) for k in CONFIG_KEYS}), []


def load_config(root: Path, display: str, *, required_keys: tuple[str, ...] = ()) -> InferenceConfig:
    path = root / display
    if not path.exists():
        raise WorkspaceInvalid([Problem(display, "", "file not found; run provision first, or fill it in by hand with the keys "
                                        + ", ".join(CONFIG_KEYS))])
    raw = read_json_object(path, display)
    config, problems = check_config(raw, display)
    problems += [Problem(display, key, "expected a value (it is missing or null); run provision or fill it in", None)
                 for key in required_keys if not raw.get(key)]
    if problems or config is None:
        raise WorkspaceInvalid(problems)
    return config


def same_endpoint(written: str, endpoint: str) -> bool:
    """Whether two forms of ACA_APP_ENDPOINT reach the same place (scheme optional, trailing slash, case)."""
    def key(value: str) -> str:
        scheme, _, rest = normalize_endpoint(value).partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{slash}{path}"

    return key(written) == key(endpoint)


def update_config(root: Path, display: str, values: dict[str, str | None]) -> dict[str, Any]:
    """Set `values` in the config file, keeping the user's other keys and the order; atomic. An endpoint the
    file already holds in another form of the same address is left as the user wrote it."""
    path = root / display
    data: dict[str, Any] = read_json_object(path, display) if path.exists() else {}
    for key in CONFIG_KEYS:
        if key not in values:
            data.setdefault(key, None)
            continue
        value, old = values[key], data.get(key)
        if key == "ACA_APP_ENDPOINT" and isinstance(old, str) and value and same_endpoint(old, value):
            value = old
        data[key] = value
    write_json_atomic(path, data)
    return data


def record_endpoint(root: Path, display: str, endpoint: str) -> str | None:
    """Write the endpoint deploy reached into the config; returns a note for the user when this changes a
    value they had (a different address, not just another form of the same one), else None."""
    path = root / display
    before = read_json_object(path, display).get("ACA_APP_ENDPOINT") if path.exists() else None
    update_config(root, display, {"ACA_APP_ENDPOINT": endpoint})
    if not isinstance(before, str) or not before.strip() or same_endpoint(before, endpoint):
        return None
    return (f"{display}: ACA_APP_ENDPOINT changed from '{before}' to '{endpoint}': that is where the container "
            "app's ingress answers now, and the old value does not reach it.")
