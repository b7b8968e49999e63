"""Azure's naming rules for the resources an inference deployment uses: facts about Azure, not about the product
or the emulator, so both import this small leaf package (neither imports the other). The product checks a name
before any network call (`aca_inference.workspace.naming`); the local Azure refuses a bad one the way the
service does; both with these messages. Each rule cites its source: the service's OpenAPI spec (copies under
../shared/azure-specs/, the `specification/...` paths below) where it states one, otherwise Microsoft's
"Naming rules and restrictions for Azure resources"
(https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ResourceKind(StrEnum):
    storage_account = "storage_account"
    file_share = "file_share"
    log_analytics_workspace = "log_analytics_workspace"
    managed_environment = "managed_environment"
    environment_storage = "environment_storage"
    container_app = "container_app"
    resource_group = "resource_group"


@dataclass(frozen=True)
class NameRule:
    min_length: int
    max_length: int
    allowed: re.Pattern[str]  # the whole name must match
    allowed_text: str  # how the allowed characters are said in messages
    rule: str  # the whole rule, one sentence
    start: re.Pattern[str] | None = None  # the first character must match
    start_text: str = ""  # completes "it must start with ..."
    end: re.Pattern[str] | None = None  # the last character must match
    end_text: str = ""  # completes "it must ..." (e.g. "end with a letter or digit")
    no_double_hyphen: bool = False


_LOWER_ALNUM_HYPHEN = re.compile(r"[a-z0-9-]+")
_LETTER = re.compile(r"[a-z]")
_LOWER_ALNUM = re.compile(r"[a-z0-9]")


def _container_apps_rule(noun: str, maximum: int) -> NameRule:
    """Microsoft.App's own resources share one shape: lower case, single hyphens, a letter first."""
    return NameRule(
        2, maximum, _LOWER_ALNUM_HYPHEN, "lower-case letters, digits and hyphens",
        f"{noun} names must be 2-{maximum} characters, lower-case letters, digits and single hyphens, "
        "starting with a letter and ending with a letter or digit",
        start=_LETTER, start_text="a lower-case letter", end=_LOWER_ALNUM, end_text="end with a letter or digit",
        no_double_hyphen=True)


RULES: dict[ResourceKind, NameRule] = {
    # specification/storage/resource-manager/Microsoft.Storage/Storage/stable/2026-09-01/openapi.json,
    # path parameter accountName: minLength 3, maxLength 24, pattern ^[a-z0-9]+$ ("Storage account names must be
    # between 3 and 24 characters in length and use numbers and lower-case letters only").
    ResourceKind.storage_account: NameRule(
        3, 24, re.compile(r"[a-z0-9]+"), "lower-case letters and digits",
        "Storage account names must be 3-24 characters, lower-case letters and digits only"),
    # Same spec, path parameter shareName: minLength 3, maxLength 63, "use numbers, lower-case letters and dash (-)
    # only. Every dash (-) character must be immediately preceded and followed by a letter or number."
    ResourceKind.file_share: NameRule(
        3, 63, _LOWER_ALNUM_HYPHEN, "lower-case letters, digits and hyphens",
        "File share names must be 3-63 characters, lower-case letters, digits and single hyphens, "
        "starting and ending with a letter or digit",
        start=_LOWER_ALNUM, start_text="a letter or digit", end=_LOWER_ALNUM, end_text="end with a letter or digit",
        no_double_hyphen=True),
    # specification/operationalinsights/resource-manager/common/v1/types.json, WorkspaceNameParameter:
    # minLength 4, maxLength 63, pattern ^[A-Za-z0-9][A-Za-z0-9-]+[A-Za-z0-9]$.
    ResourceKind.log_analytics_workspace: NameRule(
        4, 63, re.compile(r"[A-Za-z0-9-]+"), "letters, digits and hyphens",
        "Log Analytics workspace names must be 4-63 characters, letters, digits and hyphens, "
        "starting and ending with a letter or digit",
        start=re.compile(r"[A-Za-z0-9]"), start_text="a letter or digit",
        end=re.compile(r"[A-Za-z0-9]"), end_text="end with a letter or digit"),
    # The Microsoft.App spec only says ^[-\w\._\(\)]+$ for environmentName. The naming-rules doc: managedEnvironments
    # 2-60, alphanumerics and hyphens, start with a letter, end with an alphanumeric; the service (and azurerm's
    # validation, quoted in DFE-Digital/terraform-azurerm-container-apps-hosting#353) refuses upper case and '--'
    # ("must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with
    # an alphanumeric character and cannot have '--'"); azure-sdk-for-net#62388 confirms 2-60.
    ResourceKind.managed_environment: _container_apps_rule("Container Apps environment", 60),
    # managedEnvironments/storages: no pattern in the spec; the service rule (quoted in
    # DFE-Digital/terraform-azurerm-container-apps-hosting#353 and #361): lower case alphanumerics or '-', start
    # with a letter, end with an alphanumeric, no '--', at most 32 characters.
    ResourceKind.environment_storage: _container_apps_rule("Environment storage", 32),
    # containerApps: the naming-rules doc (2-32, lower-case letters, numbers and hyphens, start with a letter, end
    # with an alphanumeric) and the service's message "cannot have '--'" (PSRule Azure.ContainerApp.Name mirrors it).
    ResourceKind.container_app: _container_apps_rule("Container app", 32),
    # specification/resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01/resources.json,
    # resourceGroupName: minLength 1, maxLength 90, pattern ^[-\w\._\(\)]+$ ("alphanumeric, underscore,
    # parentheses, hyphen, period (except at end), and Unicode characters that match the allowed characters").
    ResourceKind.resource_group: NameRule(
        1, 90, re.compile(r"[-\w.()]+"), "letters, digits, underscores, hyphens, periods and parentheses",
        "Resource group names must be 1-90 characters, letters, digits, underscores, hyphens, periods and "
        "parentheses, not ending with a period",
        end=re.compile(r"[^.]"), end_text="not end with a period"),
}


def _violation(rule: NameRule, name: str) -> str | None:
    if not rule.min_length <= len(name) <= rule.max_length:
        return f"this one has {len(name)} character{'' if len(name) == 1 else 's'}"
    if not rule.allowed.fullmatch(name):
        bad = sorted({c for c in name if not rule.allowed.fullmatch(c)})
        shown = ", ".join(repr(c) for c in bad)
        return f"{shown} {'is' if len(bad) == 1 else 'are'} not allowed, only {rule.allowed_text}"
    if rule.start is not None and not rule.start.fullmatch(name[0]):
        return f"it must start with {rule.start_text}"
    if rule.end is not None and not rule.end.fullmatch(name[-1]):
        return f"it must {rule.end_text}"
    if rule.no_double_hyphen and "--" in name:
        return "it has two hyphens in a row"
    return None


def check_name(kind: ResourceKind, name: str) -> str | None:
    """None when Azure accepts `name` for `kind`; otherwise the rule and what breaks it."""
    rule = RULES[ResourceKind(kind)]
    if not isinstance(name, str):
        return f"{rule.rule} (expected a string)"
    reason = _violation(rule, name)
    return None if reason is None else f"{rule.rule} ({reason})"
