"""The binder resolves every name of the workspace's bicep once, before anything is evaluated or sent to Azure:
a misspelled output, an unknown name in dependsOn, a call with the wrong number or kind of arguments is refused
at its file:line:column, and provision makes no request at all (the local Azure's request log says so)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from aca_inference.errors import InputError
from aca_inference.ops.context import OperationContext, TargetSettings
from aca_inference.ops.provision.run import ProvisionRequest, provision
from aca_inference.workspace.bicep import BicepError, Deployment, Evaluator, deployment_order, parse_bicep
from aca_inference.workspace.bicep.functions import FunctionError
from aca_inference.workspace.template import builtin_bicep
from tests.conftest import cli_run
from tests.fakes.reporter import RecordingReporter
from tests.provision.arm import ArmProbe

BICEP = "infra/provision/inference.bicep"
DEPLOYMENT = Deployment("11111111-2222-3333-4444-555555555555", "rg", "westus3")
ARITY = ("'aistorage${substring(uniqueString(resourceGroup().id), 0, 5)}'",
         "'aistorage${substring(uniqueString(resourceGroup().id))}'")

# (case, (text in our template, what replaces it), where, words): the three the issue names, on our own bicep.
# `where` is (lines after the replaced text's first line, ":column"): the line follows the template as it changes.
BROKEN: list[tuple[str, tuple[str, str], tuple[int, str], str]] = [
    ("misspelled output resource", ("output ACA_APP_NAME string = containerApp.name",
                                    "output ACA_APP_NAME string = containerAp.name"), (0, ":30"),
     "unknown name 'containerAp' in output 'ACA_APP_NAME': did you mean 'containerApp'?"),
    ("misspelled output member", ("output ACA_APP_NAME string = containerApp.name",
                                  "output ACA_APP_NAME string = containerApp.nmae"), (0, ":30"),
     "resource 'containerApp' has no property 'nmae': did you mean 'name'?"),
    ("unknown name in dependsOn", ("  parent: fileService\n", "  parent: fileService\n  dependsOn: [\n"
                                   "    storageAcount\n  ]\n"), (2, ":5"),
     "unknown name 'storageAcount' in dependsOn of resource 'fileShare': did you mean 'storageAccount'?"),
    ("wrong arity", ARITY, (0, ":"), "substring() requires 2 to 3 argument(s) while 1 were provided"),
]


def _workspace(root: Path, change: tuple[str, str]) -> Path:
    text = builtin_bicep().read_text(encoding="utf-8")
    old, new = change
    assert old in text, old
    (root / BICEP).parent.mkdir(parents=True, exist_ok=True)
    (root / BICEP).write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def _position(change: tuple[str, str], where: tuple[int, str]) -> str:
    text = builtin_bicep().read_text(encoding="utf-8")
    line = text[:text.index(change[0])].count("\n") + 1 + where[0]
    return f":{line}{where[1]}"


def _requests_since(arm: ArmProbe, mark: int) -> list[str]:
    return [f"{e['method']} {e['path']}" for e in arm.requests_since(mark) if not e["path"].startswith("/_emulator")]


def _context(root: Path, emulator: Any) -> OperationContext:
    return OperationContext(root=root, reporter=RecordingReporter(),
                            target=TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir)))


@pytest.mark.parametrize(("case", "change", "where", "words"), BROKEN, ids=[c[0] for c in BROKEN])
async def test_provision_refuses_a_template_the_binder_rejects_before_any_request(
        tmp_path: Path, emulator: Any, case: str, change: tuple[str, str], where: tuple[int, str], words: str) -> None:
    root = _workspace(tmp_path, change)
    arm = ArmProbe(emulator)
    mark = arm.mark()
    request = ProvisionRequest(subscription=emulator.subscription_id, resource_group=f"rg-{uuid.uuid4().hex[:8]}",
                               location="westus3")
    with pytest.raises(BicepError) as refusal:
        await provision(_context(root, emulator), request)
    assert f"{BICEP}{_position(change, where)}" in str(refusal.value) and words in str(refusal.value), str(refusal.value)
    assert _requests_since(arm, mark) == []
    # The same workspace with the template mended is planned against the local Azure: the log does count.
    _workspace(tmp_path, ("", ""))
    await provision(_context(root, emulator), ProvisionRequest(
        subscription=emulator.subscription_id, resource_group=request.resource_group, location="westus3",
        preview=True))
    assert any(line.startswith("GET /subscriptions/") for line in _requests_since(arm, mark))


def test_the_cli_exits_2_on_a_misspelled_output_and_creates_nothing(tmp_path: Path, emulator: Any) -> None:
    root = _workspace(tmp_path, BROKEN[0][1])
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                  "--resource-group", "rg-binder-cli", "--location", "westus3", "--yes", timeout=120)
    assert run.returncode == 2, run.stderr
    assert f"{BICEP}{_position(BROKEN[0][1], BROKEN[0][2])}: unknown name 'containerAp'" in run.stderr and "Traceback" not in run.stderr
    assert _requests_since(arm, mark) == []


# (case, bicep, where, words): what the binder refuses in a small file, each at its place.
REFUSED: list[tuple[str, str, str, str]] = [
    ("output of the wrong type", "output n int = 'three'\n", "t.bicep:1:16",
     "output 'n' is declared int but its value is a string"),
    ("parameter default of the wrong type", "param n int = 'three'\n", "t.bicep:1:15",
     "the default of parameter 'n' is declared int but its value is a string"),
    ("parameter default reading a variable", "var v = 1\nparam n int = v\n", "t.bicep:2:15",
     "parameter 'n' reads 'v', which is not a parameter"),
    ("function of an unknown name", "output s string = toLowr('A')\n", "t.bicep:1:19", "unknown function 'toLowr'"),
    ("argument of the wrong kind", "output s string = toLower(1)\n", "t.bicep:1:19",
     "toLower() expects a string for its first parameter 'stringToChange'; the provided value is of type 'Integer'"),
    ("arguments to a context function", "output s object = resourceGroup('other')\n", "t.bicep:1:19",
     "resourceGroup() with arguments"),
    ("dependsOn naming a parameter", "param p string = 'x'\nresource r 'A.B/c@2024-01-01' = {\n  name: 'r'\n"
     "  dependsOn: [\n    p\n  ]\n}\n", "t.bicep:5:5", "dependsOn of resource 'r' lists something that is not a "
     "resource symbol"),
    ("parent of the wrong type", "resource a 'A.B/c@2024-01-01' = {\n  name: 'a'\n}\nresource b 'A.B/d/e@2024-01-01'"
     " = {\n  name: 'b'\n  parent: a\n}\n", "t.bicep:6:11", "parent 'a' of type A.B/c"),
    ("resource function on a value", "var v = {}\noutput o object = v.listKeys()\n", "t.bicep:2:19",
     "listKeys() on an object"),
    ("member of a string", "var v = 'text'\noutput o string = v.length\n", "t.bicep:2:19",
     "property 'length' of a string"),
    ("condition that is not a bool", "resource r 'A.B/c@2024-01-01' = if ('yes') {\n  name: 'r'\n}\n", "t.bicep:1:37",
     "operator if needs a bool, found a string"),
    ("cycle between variables", "var a = b\nvar b = a\n", "t.bicep:2:9", "cycle (a -> b -> a)"),
    ("scope", "resource r 'A.B/c@2024-01-01' = {\n  name: 'r'\n  scope: resourceGroup()\n}\n", "t.bicep:3:3",
     "scope of resource 'r'"),
]


@pytest.mark.parametrize(("case", "source", "where", "words"), REFUSED, ids=[c[0] for c in REFUSED])
def test_the_binder_refuses_at_the_place(case: str, source: str, where: str, words: str) -> None:
    with pytest.raises(BicepError) as refusal:
        parse_bicep(source, "t.bicep")
    assert str(refusal.value).startswith(f"{where}: {words}"), str(refusal.value)


def test_a_wrong_arity_is_a_function_error_with_its_place() -> None:
    with pytest.raises(FunctionError) as refusal:
        parse_bicep("var a = 1\noutput s string = take('abc')\n", "t.bicep")
    assert (refusal.value.span.line, refusal.value.span.column, refusal.value.function) == (2, 19, "take")
    assert isinstance(refusal.value, InputError)  # bad input: exit code 2, no traceback


def test_the_semantic_model_knows_kinds_and_dependencies() -> None:
    file = parse_bicep("param n int = 2\nvar doubled = n * 2\nvar label = 'x${doubled}'\nresource a 'A.B/c@2024-01-01'"
                       " = {\n  name: label\n}\nresource b 'A.B/c@2024-01-01' = {\n  name: 'b'\n  properties: {\n"
                       "    x: indirect\n  }\n}\nvar indirect = a.id\noutput o string = b.name\n", "t.bicep")
    assert file.binding is not None
    assert {k: file.binding.kinds[k] for k in ("n", "doubled", "label", "indirect", "o")} == {
        "n": "int", "doubled": "int", "label": "string", "indirect": "string", "o": "string"}
    assert file.binding.dependencies == {"a": set(), "b": {"a"}}  # through the variable
    evaluator = Evaluator(file, DEPLOYMENT, {})
    assert [r.depends_on for r in evaluator.resources()] == [set(), {"a"}]
    assert evaluator.outputs() == {"o": "b"}


def test_the_deployment_order_refuses_a_dependency_it_does_not_have_instead_of_skipping_it() -> None:
    file = parse_bicep("resource a 'A.B/c@2024-01-01' = {\n  name: 'a'\n}\nresource b 'A.B/c@2024-01-01' = {\n"
                       "  name: 'b'\n  dependsOn: [\n    a\n  ]\n}\n", "t.bicep")
    resources = Evaluator(file, DEPLOYMENT, {}).resources()
    with pytest.raises(BicepError, match=r"t.bicep:4:1: resource 'b' depends on 'a', which is not among"):
        deployment_order(resources[1:])
    assert [r.symbol for r in deployment_order(resources[::-1])] == ["a", "b"]
