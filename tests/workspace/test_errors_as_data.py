"""User-facing errors are data: a kind (which decides the exit code and how VS Code shows it), Azure's code
where Azure gave one, the message, the fix and notes added on the way up without building a new error."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from aca_inference.azure.errors import azure_error
from aca_inference.cli import main
from aca_inference.errors import Cancelled, ErrorKind, InputError, OperationFailed
from aca_inference.ops.context import OperationContext, TargetSettings
from aca_inference.ops.provision.run import ProvisionRequest, provision
from aca_inference.workspace.bicep import BicepError, Span
from aca_inference.workspace.problems import Problem, WorkspaceInvalid
from aca_inference.workspace.template import builtin_bicep, load_template
from tests.fakes.reporter import RecordingReporter
from tests.provision.arm import ArmProbe

BICEP = "infra/provision/inference.bicep"


def test_the_exit_code_and_the_severity_follow_the_kind() -> None:
    assert [(e.kind, e.exit_code, e.kind.severity) for e in (InputError("x"), OperationFailed("x"), Cancelled("x"))] \
        == [(ErrorKind.INPUT, 2, "Error"), (ErrorKind.FAILED, 1, "Error"), (ErrorKind.CANCELLED, 1, "Warning")]
    assert BicepError(Span("f.bicep", 1, 2), "x", "y").exit_code == 2
    assert WorkspaceInvalid([Problem("f.json", "a", "b")]).exit_code == 2


def test_the_clis_json_answer_carries_the_kind_and_the_code(tmp_path: Path) -> None:
    (tmp_path / BICEP).parent.mkdir(parents=True)
    (tmp_path / BICEP).write_text("output o int = 'x'\n")
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
        code = main(["provision", "--workspace", str(tmp_path), "--target", "azure", "--subscription", "x",
                     "--resource-group", "rg", "--yes", "--json"])  # refused before any Azure call
    answer = json.loads(output.getvalue().strip().splitlines()[-1])
    assert code == 2 and answer == {"ok": False, "kind": "input", "code": None, "error": (
        f"{BICEP}:1:16: output 'o' is declared int but its value is a string: give it an int value, or declare it "
        "string")}


def test_a_hint_is_added_to_the_same_error_whatever_its_type() -> None:
    bicep = BicepError(Span("f.bicep", 3, 4), "unknown name 'x'", "declare it")
    invalid = WorkspaceInvalid([Problem("f.json", "a", "b")])
    for error in (bicep, invalid, OperationFailed("Azure refused it.", code="Conflict", fix="wait")):
        before = str(error)
        assert error.hint("Run provision again to finish.") is error
        assert str(error) == f"{before}\n  Run provision again to finish."
    assert str(bicep).startswith("f.bicep:3:4: unknown name 'x': declare it\n")


class _AzureRefusal(Exception):
    """What azure-core raises: an `error` with Azure's code and message, and the HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"({code}) {message}")
        self.error = type("ODataError", (), {"code": code, "message": message})()
        self.status_code = status


def test_azure_error_keeps_azures_code_as_data_and_in_the_words() -> None:
    error = azure_error(_AzureRefusal("StorageAccountAlreadyTaken", "The storage account named x is already taken.",
                                      409), "creating storage account x")
    assert error.code == "StorageAccountAlreadyTaken" and error.kind is ErrorKind.FAILED
    assert error.message == ("Azure refused creating storage account x: StorageAccountAlreadyTaken: The storage "
                             "account named x is already taken.")
    assert "choose another `storageAccountName`" in error.fix
    assert str(error) == f"{error.message}\n  Fix: {error.fix}"
    assert error.as_json() == {"kind": "failed", "code": "StorageAccountAlreadyTaken"}
    without_code = azure_error(_AzureRefusal("", "Bad gateway", 502), "reading x")
    assert without_code.code is None and str(without_code) == "Azure refused reading x: 502: Bad gateway"


def test_with_a_parameter_missing_the_rest_is_not_evaluated_decided_by_its_code(tmp_path: Path) -> None:
    (tmp_path / BICEP).parent.mkdir(parents=True)
    (tmp_path / BICEP).write_text("param needed string\nparam m int = 0\n@minValue(5)\nparam n int = 1\n")
    parameters = tmp_path / "infra" / "provision" / "inference.parameters.json"
    parameters.write_text(json.dumps({"parameters": {"m": {"value": "x"}}}))
    with pytest.raises(WorkspaceInvalid) as failure:
        load_template(tmp_path)
    assert [(p.json_path, p.code) for p in failure.value.problems] == [
        ("parameters.m.value", None), ("parameters.needed.value", "MissingParameterValue")]
    parameters.write_text(json.dumps({"parameters": {"m": {"value": "x"}, "needed": {"value": "here"}}}))
    with pytest.raises(WorkspaceInvalid) as failure:
        load_template(tmp_path)
    assert [p.json_path for p in failure.value.problems] == ["parameters.m.value", "param n"]  # the rest checked


async def test_a_body_that_fails_to_evaluate_during_apply_is_reported_with_what_was_done(
        tmp_path: Path, emulator: Any) -> None:
    """Before deployment the storage account's properties are unknown; once Azure answers, the app's body reads
    one it does not have: the BicepError (not a TypeError from rebuilding it) reaches the user with the hint."""
    text = builtin_bicep().read_text(encoding="utf-8")
    anchor = "resource containerApp 'Microsoft.App/containerApps@2026-07-01' = {\n"
    assert anchor in text
    (tmp_path / BICEP).parent.mkdir(parents=True)
    (tmp_path / BICEP).write_text(text.replace(anchor, anchor + "  tags: {\n    probe: storageAccount.properties"
                                               ".notReturnedByAzure\n  }\n"), encoding="utf-8")
    (tmp_path / "infra" / "provision" / "inference.parameters.json").write_text(json.dumps(
        {"parameters": {"minReplicas": {"value": 0}}}))
    group = f"rg-{uuid.uuid4().hex[:8]}"
    arm = ArmProbe(emulator)
    mark = arm.mark()
    context = OperationContext(root=tmp_path, reporter=RecordingReporter(confirm_answers=[True, True]),
                               target=TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir)))
    with pytest.raises(BicepError) as failure:
        await provision(context, ProvisionRequest(subscription=emulator.subscription_id, resource_group=group,
                                                  location="westus3"))
    message = str(failure.value)
    line = text[:text.index(anchor)].count("\n") + 3  # the tags' `probe:` line, two below the anchor's
    assert message.startswith(f"{BICEP}:{line}:12: property 'notReturnedByAzure' does not exist"), message
    assert "\n  Run provision again to finish: it reuses what exists. Done before the failure: " in message
    assert not any("containerApps" in line for line in arm.writes_since(mark))  # the app itself was never sent
