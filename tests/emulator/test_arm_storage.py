"""Microsoft.Storage and Microsoft.OperationalInsights through azure-mgmt-storage / azure-mgmt-loganalytics."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .conftest import Azure

ACCOUNT = {"location": "westus3", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}


def test_storage_account_is_created_with_keys_and_a_files_endpoint(azure: Azure) -> None:
    group = azure.new_group()
    client = azure.storage()
    account = client.storage_accounts.begin_create(group, "stcreated1", ACCOUNT).result()
    assert account.provisioning_state == "Succeeded"
    assert account.primary_endpoints.file == f"{azure.info.files_endpoint}/stcreated1/"
    assert client.storage_accounts.get_properties(group, "stcreated1").sku.name == "Standard_LRS"
    assert [a.name for a in client.storage_accounts.list_by_resource_group(group)] == ["stcreated1"]
    keys = client.storage_accounts.list_keys(group, "stcreated1").as_dict()["keys"]
    assert [k["keyName"] for k in keys] == ["key1", "key2"]
    assert len({k["value"] for k in keys}) == 2


def test_storage_account_name_is_global_and_a_second_owner_gets_409(azure: Azure) -> None:
    first, second = azure.new_group(), azure.new_group()
    azure.storage().storage_accounts.begin_create(first, "sttaken1", ACCOUNT).result()
    with pytest.raises(HttpResponseError) as raised:
        azure.storage().storage_accounts.begin_create(second, "sttaken1", ACCOUNT).result()
    assert (raised.value.status_code, raised.value.error.code) == (409, "StorageAccountAlreadyTaken")


def test_storage_account_name_with_capitals_is_refused(azure: Azure) -> None:
    with pytest.raises(HttpResponseError) as raised:
        azure.storage().storage_accounts.begin_create(azure.new_group(), "BadName", ACCOUNT).result()
    assert (raised.value.status_code, raised.value.error.code) == (400, "AccountNameInvalid")
    assert "lower-case" in raised.value.error.message


def test_storage_account_without_sku_is_refused(azure: Azure) -> None:
    with pytest.raises(HttpResponseError) as raised:
        azure.storage().storage_accounts.begin_create(azure.new_group(), "stnosku1",
                                                      {"location": "westus3", "kind": "StorageV2",
                                                       "sku": {"name": "Gold"}}).result()
    assert raised.value.status_code == 400


def test_storage_account_in_missing_group_answers_resource_group_not_found(azure: Azure) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        azure.storage().storage_accounts.begin_create("rg-missing-storage", "stnogroup1", ACCOUNT).result()
    assert raised.value.error.code == "ResourceGroupNotFound"


def test_file_share_is_a_directory_under_the_shares_root(azure: Azure) -> None:
    group = azure.new_group()
    client = azure.storage()
    client.storage_accounts.begin_create(group, "stshares1", ACCOUNT).result()
    share = client.file_shares.create(group, "stshares1", "models", {"properties": {"shareQuota": 100}})
    assert (share.name, share.share_quota, share.enabled_protocols) == ("models", 100, "SMB")
    directory = azure.data_dir / "shares" / "stshares1" / "models"
    assert directory.is_dir()
    assert client.file_shares.get(group, "stshares1", "models").share_quota == 100
    assert [s.name for s in client.file_shares.list(group, "stshares1")] == ["models"]
    # PUT on an existing share updates it (a template deployed twice converges); the files stay.
    (directory / "kept.txt").write_text("kept")
    assert client.file_shares.create(group, "stshares1", "models", {"properties": {"shareQuota": 200}}).share_quota == 200
    assert client.file_shares.get(group, "stshares1", "models").share_quota == 200
    assert (directory / "kept.txt").read_text() == "kept"
    client.file_shares.delete(group, "stshares1", "models")
    assert not directory.exists()
    with pytest.raises(ResourceNotFoundError):
        client.file_shares.get(group, "stshares1", "models")


def test_file_share_of_missing_account_answers_parent_resource_not_found(azure: Azure) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        azure.storage().file_shares.create(azure.new_group(), "stnoaccount1", "share", {})
    assert raised.value.error.code == "ParentResourceNotFound"


def test_file_share_name_with_double_hyphen_is_refused(azure: Azure) -> None:
    group = azure.new_group()
    azure.storage().storage_accounts.begin_create(group, "stbadshare1", ACCOUNT).result()
    with pytest.raises(HttpResponseError) as raised:
        azure.storage().file_shares.create(group, "stbadshare1", "a--b", {})
    assert raised.value.status_code == 400


def test_log_analytics_workspace_is_created_with_shared_keys(azure: Azure) -> None:
    group = azure.new_group()
    client = azure.logs()
    workspace = client.workspaces.begin_create_or_update(group, "log-one", {
        "location": "westus3", "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}}).result()
    assert workspace.provisioning_state == "Succeeded"
    assert workspace.customer_id and workspace.sku.name == "PerGB2018"
    assert client.workspaces.get(group, "log-one").customer_id == workspace.customer_id
    keys = client.shared_keys.get_shared_keys(group, "log-one")
    assert keys.primary_shared_key and keys.secondary_shared_key != keys.primary_shared_key


def test_log_analytics_workspace_missing_answers_resource_not_found(azure: Azure) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        azure.logs().workspaces.get(azure.new_group(), "log-missing")
    assert raised.value.error.code == "ResourceNotFound"
