"""Azure naming rules (checked before any network call, the rule in the message) and the bicep's default names."""

from __future__ import annotations

import pytest

from aca_inference.workspace.naming import ResourceKind, check_name, default_names, resource_group_id
from aca_inference.workspace.unique_string import unique_string

K = ResourceKind

GOOD: list[tuple[ResourceKind, str]] = [
    (K.storage_account, "abc"), (K.storage_account, "aistorage0a1b2"), (K.storage_account, "a" * 24),
    (K.file_share, "abc"), (K.file_share, "ai-file-share-1"), (K.file_share, "0share9"), (K.file_share, "a" * 63),
    (K.log_analytics_workspace, "ailogabcde"), (K.log_analytics_workspace, "My-Logs-01"),
    (K.log_analytics_workspace, "0abc"), (K.log_analytics_workspace, "a" * 63),
    (K.managed_environment, "ab"), (K.managed_environment, "aienv-gpu-01"), (K.managed_environment, "a" * 60),
    (K.environment_storage, "aienvstorageabcde"), (K.environment_storage, "mount-1"),
    (K.environment_storage, "a" * 32),
    (K.container_app, "ab"), (K.container_app, "my-inference-app"), (K.container_app, "a" * 32),
    (K.resource_group, "r"), (K.resource_group, "rg-AI_Toolkit.(dev)"), (K.resource_group, "gruppe-\u00fcber"),
    (K.resource_group, "a" * 90),
]


@pytest.mark.parametrize(("kind", "name"), GOOD, ids=[f"{k}:{n[:20]}" for k, n in GOOD])
def test_names_azure_accepts_pass(kind: ResourceKind, name: str) -> None:
    assert check_name(kind, name) is None


STORAGE = "Storage account names must be 3-24 characters, lower-case letters and digits only"
SHARE = ("File share names must be 3-63 characters, lower-case letters, digits and single hyphens, "
         "starting and ending with a letter or digit")
LOGS = ("Log Analytics workspace names must be 4-63 characters, letters, digits and hyphens, "
        "starting and ending with a letter or digit")
ENV = ("Container Apps environment names must be 2-60 characters, lower-case letters, digits and single hyphens, "
       "starting with a letter and ending with a letter or digit")
ENV_STORAGE = ("Environment storage names must be 2-32 characters, lower-case letters, digits and single hyphens, "
               "starting with a letter and ending with a letter or digit")
APP = ("Container app names must be 2-32 characters, lower-case letters, digits and single hyphens, "
       "starting with a letter and ending with a letter or digit")
GROUP = ("Resource group names must be 1-90 characters, letters, digits, underscores, hyphens, periods and "
         "parentheses, not ending with a period")

BAD: list[tuple[ResourceKind, str, str]] = [
    (K.storage_account, "ab", f"{STORAGE} (this one has 2 characters)"),
    (K.storage_account, "a" * 25, f"{STORAGE} (this one has 25 characters)"),
    (K.storage_account, "MyStorage", f"{STORAGE} ('M', 'S' are not allowed, only lower-case letters and digits)"),
    (K.storage_account, "my-store", f"{STORAGE} ('-' is not allowed, only lower-case letters and digits)"),
    (K.file_share, "ab", f"{SHARE} (this one has 2 characters)"),
    (K.file_share, "a" * 64, f"{SHARE} (this one has 64 characters)"),
    (K.file_share, "my--share", f"{SHARE} (it has two hyphens in a row)"),
    (K.file_share, "-share", f"{SHARE} (it must start with a letter or digit)"),
    (K.file_share, "share-", f"{SHARE} (it must end with a letter or digit)"),
    (K.file_share, "My_Share", f"{SHARE} ('M', 'S', '_' are not allowed, only lower-case letters, digits and hyphens)"),
    (K.log_analytics_workspace, "abc", f"{LOGS} (this one has 3 characters)"),
    (K.log_analytics_workspace, "a" * 64, f"{LOGS} (this one has 64 characters)"),
    (K.log_analytics_workspace, "-logs", f"{LOGS} (it must start with a letter or digit)"),
    (K.log_analytics_workspace, "logs-", f"{LOGS} (it must end with a letter or digit)"),
    (K.log_analytics_workspace, "my_logs", f"{LOGS} ('_' is not allowed, only letters, digits and hyphens)"),
    (K.managed_environment, "a", f"{ENV} (this one has 1 character)"),
    (K.managed_environment, "a" * 61, f"{ENV} (this one has 61 characters)"),
    (K.managed_environment, "my_env", f"{ENV} ('_' is not allowed, only lower-case letters, digits and hyphens)"),
    (K.managed_environment, "1env", f"{ENV} (it must start with a lower-case letter)"),
    (K.managed_environment, "env--1", f"{ENV} (it has two hyphens in a row)"),
    (K.environment_storage, "a" * 33, f"{ENV_STORAGE} (this one has 33 characters)"),
    (K.environment_storage, "Storage", f"{ENV_STORAGE} ('S' is not allowed, only lower-case letters, digits and hyphens)"),
    (K.environment_storage, "storage-", f"{ENV_STORAGE} (it must end with a letter or digit)"),
    (K.container_app, "a" * 33, f"{APP} (this one has 33 characters)"),
    (K.container_app, "MyApp", f"{APP} ('A', 'M' are not allowed, only lower-case letters, digits and hyphens)"),
    (K.container_app, "1app", f"{APP} (it must start with a lower-case letter)"),
    (K.container_app, "-x", f"{APP} (it must start with a lower-case letter)"),
    (K.container_app, "app-", f"{APP} (it must end with a letter or digit)"),
    (K.container_app, "my--app", f"{APP} (it has two hyphens in a row)"),
    (K.resource_group, "", f"{GROUP} (this one has 0 characters)"),
    (K.resource_group, "a" * 91, f"{GROUP} (this one has 91 characters)"),
    (K.resource_group, "rg.", f"{GROUP} (it must not end with a period)"),
    (K.resource_group, "my rg/1", f"{GROUP} (' ', '/' are not allowed, only letters, digits, underscores, hyphens, "
                                  "periods and parentheses)"),
]


@pytest.mark.parametrize(("kind", "name", "message"), BAD, ids=[f"{k}:{n[:20]}" for k, n, _ in BAD])
def test_names_azure_refuses_get_the_rule_and_what_breaks_it(kind: ResourceKind, name: str, message: str) -> None:
    assert check_name(kind, name) == message


def test_kind_may_be_given_as_its_string_value() -> None:
    assert check_name("storage_account", "ab") == f"{STORAGE} (this one has 2 characters)"  # type: ignore[arg-type]


def test_default_names_are_the_bicep_prefixes_plus_five_chars_of_unique_string() -> None:
    rg_id = "/subscriptions/5f6c8d2a-0000-4000-8000-00000000aca0/resourceGroups/rg-inference"
    suffix = unique_string(rg_id)[:5]
    assert suffix == "jxxbc"
    names = default_names(rg_id)
    assert names.storage_account == "aistoragejxxbc"
    assert names.file_share == "aifilesharejxxbc"
    assert names.managed_environment == "aienvjxxbc"
    assert names.environment_storage == "aienvstoragejxxbc"
    assert names.container_app == "aiacaappjxxbc"
    assert names.log_analytics_workspace == "ailogjxxbc"


def test_default_names_pass_their_own_rules() -> None:
    names = default_names(resource_group_id("5f6c8d2a-0000-4000-8000-00000000aca0", "Some-RG"))
    for kind, name in [(K.storage_account, names.storage_account), (K.file_share, names.file_share),
                       (K.managed_environment, names.managed_environment),
                       (K.environment_storage, names.environment_storage), (K.container_app, names.container_app),
                       (K.log_analytics_workspace, names.log_analytics_workspace)]:
        assert check_name(kind, name) is None, (kind, name)


def test_resource_group_name_case_changes_the_default_names() -> None:
    # resourceGroup().id keeps the group's case and uniqueString is case-sensitive: 'RG' and 'rg' differ.
    sub = "5f6c8d2a-0000-4000-8000-00000000aca0"
    assert resource_group_id(sub, "My-RG") == f"/subscriptions/{sub}/resourceGroups/My-RG"
    assert default_names(resource_group_id(sub, "My-RG")) != default_names(resource_group_id(sub, "my-rg"))
