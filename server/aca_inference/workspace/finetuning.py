"""The fine-tuning files (written by the fine-tuning project): where inference finds its defaults.

`infra/finetuning.config.json` holds SUBSCRIPTION_ID, RESOURCE_GROUP_NAME, STORAGE_ACCOUNT_NAME,
FILE_SHARE_NAME (and job keys we ignore); `infra/provision/finetuning.parameters.json` holds the names of
the ACA environment, its storage and the Log Analytics workspace. Both are optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .json_file import read_json_object
from .naming import ResourceKind, check_name
from .paths import FINETUNING_CONFIG, FINETUNING_PARAMETERS
from .problems import Problem, describe


@dataclass(frozen=True)
class FinetuningDefaults:
    subscription_id: str | None = None
    resource_group: str | None = None
    location: str | None = None
    storage_account: str | None = None
    file_share: str | None = None
    managed_environment: str | None = None
    environment_storage: str | None = None
    log_analytics_workspace: str | None = None


@dataclass(frozen=True)
class FinetuningName:
    """One resource name the fine-tuning project holds: where it is written, the inference bicep's parameter
    for the same resource, and its naming rule and ARM type."""

    file: str
    key: str
    parameter: str
    kind: ResourceKind
    resource_type: str  # lower case


# FinetuningDefaults field -> where it comes from (the config file wins over the parameters file).
FINETUNING_NAMES: dict[str, FinetuningName] = {
    "storage_account": FinetuningName(FINETUNING_CONFIG, "STORAGE_ACCOUNT_NAME", "storageAccountName",
                                      ResourceKind.storage_account, "microsoft.storage/storageaccounts"),
    "file_share": FinetuningName(FINETUNING_CONFIG, "FILE_SHARE_NAME", "fileShareName", ResourceKind.file_share,
                                 "microsoft.storage/storageaccounts/fileservices/shares"),
    "managed_environment": FinetuningName(FINETUNING_PARAMETERS, "parameters.acaEnvironmentName.value",
                                          "acaEnvironmentName", ResourceKind.managed_environment,
                                          "microsoft.app/managedenvironments"),
    "environment_storage": FinetuningName(FINETUNING_PARAMETERS, "parameters.acaEnvironmentStorageName.value",
                                          "acaEnvironmentStorageName", ResourceKind.environment_storage,
                                          "microsoft.app/managedenvironments/storages"),
    "log_analytics_workspace": FinetuningName(FINETUNING_PARAMETERS, "parameters.acaLogAnalyticsName.value",
                                              "acaLogAnalyticsName", ResourceKind.log_analytics_workspace,
                                              "microsoft.operationalinsights/workspaces"),
}


def _string(raw: dict[str, Any], key: str, display: str, path: str, problems: list[Problem]) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and value):
        return value
    problems.append(Problem(display, path, "expected a non-empty string or null", describe(value)))
    return None


def _param(raw: dict[str, Any], name: str, display: str, problems: list[Problem]) -> str | None:
    params = raw.get("parameters")
    if not isinstance(params, dict):
        return None
    entry = params.get(name)
    if not isinstance(entry, dict):
        return None
    return _string(entry, "value", display, f"parameters.{name}.value", problems)


def read_finetuning(root: Path) -> tuple[FinetuningDefaults, list[Problem]]:
    problems: list[Problem] = []
    config: dict[str, Any] = {}
    params: dict[str, Any] = {}
    if (root / FINETUNING_CONFIG).exists():
        config = read_json_object(root / FINETUNING_CONFIG, FINETUNING_CONFIG)
    if (root / FINETUNING_PARAMETERS).exists():
        params = read_json_object(root / FINETUNING_PARAMETERS, FINETUNING_PARAMETERS)
    c, p = FINETUNING_CONFIG, FINETUNING_PARAMETERS
    names: dict[str, str | None] = {}
    for field, name in FINETUNING_NAMES.items():
        # Each name from the table: the config file wins; the parameters file backs it up (same parameter name).
        from_config = _string(config, name.key, c, name.key, problems) if name.file == c else None
        names[field] = from_config or _param(params, name.parameter, p, problems)
    defaults = FinetuningDefaults(
        subscription_id=_string(config, "SUBSCRIPTION_ID", c, "SUBSCRIPTION_ID", problems),
        resource_group=_string(config, "RESOURCE_GROUP_NAME", c, "RESOURCE_GROUP_NAME", problems),
        location=_param(params, "location", p, problems), **names)
    return defaults, problems


def finetuning_problems(root: Path) -> tuple[FinetuningDefaults, list[Problem]]:
    """The fine-tuning defaults and every problem of the fine-tuning files - shapes, and each name against Azure's
    rules, reported against the file and key that hold it (validate and provision say the same)."""
    from .problems import WorkspaceInvalid

    try:
        defaults, problems = read_finetuning(root)
    except WorkspaceInvalid as exc:
        return FinetuningDefaults(), exc.problems
    config = read_json_object(root / FINETUNING_CONFIG, FINETUNING_CONFIG) if (root / FINETUNING_CONFIG).exists() \
        else {}
    for attribute, source in FINETUNING_NAMES.items():
        value = getattr(defaults, attribute)
        if not isinstance(value, str) or (rule := check_name(source.kind, value)) is None:
            continue
        file, key = source.file, source.key
        if file == FINETUNING_CONFIG and config.get(key) != value:  # it came from the parameters file
            file, key = FINETUNING_PARAMETERS, f"parameters.{source.parameter}.value"
        problems.append(Problem(file, key, rule, describe(value)))
    group = defaults.resource_group
    if isinstance(group, str) and (rule := check_name(ResourceKind.resource_group, group)) is not None:
        problems.append(Problem(FINETUNING_CONFIG, "RESOURCE_GROUP_NAME", rule, describe(group)))
    return defaults, problems
