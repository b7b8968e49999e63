"""Anything outside the supported subset, and any broken bicep, is refused before any change: one message
with file:line:column, the construct and what to do - never a traceback. Provision and validate say the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aca_inference.workspace.bicep import BicepError, Deployment
from aca_inference.workspace.problems import WorkspaceInvalid
from aca_inference.workspace.template import evaluate, load_template
from aca_inference.workspace.validate import validate_workspace
from tests.conftest import cli_run

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aitoolkit_project"
BICEP = "infra/provision/inference.bicep"
DEPLOYMENT = Deployment("11111111-2222-3333-4444-555555555555", "rg", "westus3")
APPEND = "\n"

# (case, text appended to or replacing part of the fixture's bicep, expected location, words in the message)
CASES: list[tuple[str, tuple[str, str], str, str]] = [
    ("syntax error", ("var defaultCommand = join(defaultCommands, '; ')", "var defaultCommand = join(defaultCommands, "),
     ":1", "syntax error"),
    ("unknown function", ("join(defaultCommands, '; ')", "joinAll(defaultCommands, '; ')"), ":15:22",
     "unknown function 'joinAll'"),
    ("undeclared name", ("join(defaultCommands, '; ')", "join(defaultCommandz, '; ')"), ":15:27",
     "unknown name 'defaultCommandz'"),
    ("wrong type in a function", ("join(defaultCommands, '; ')", "join(maximumInstanceCount, '; ')"), ":15:22",
     "join() expects an array"),
    ("variable cycle", ("var defaultCommand = join(defaultCommands, '; ')",
                        "var defaultCommand = other\nvar other = defaultCommand"), ":", "cycle"),
    ("module", (APPEND, "module m './other.bicep' = {\n  name: 'm'\n}\n"), ":", "module"),
    ("for loop", (APPEND, "var list = [for i in range(0, 3): i]\n"), ":", "for loop"),
    ("lambda", (APPEND, "var evens = filter(defaultCommands, c => c != '')\n"), ":", "lambda"),
    ("user-defined type", (APPEND, "type t = string\n"), ":", "user-defined type"),
    ("subscription scope", (APPEND, "targetScope = 'subscription'\n"), ":", "targetScope 'subscription'"),
    ("non-literal resource type", ("'Microsoft.OperationalInsights/workspaces@2022-10-01'",
                                   "'Microsoft.OperationalInsights/workspaces'"), ":", "resource type"),
    ("nested resource", ("  properties: {\n    shareQuota: 1024\n  }\n}",
                         "  properties: {\n    shareQuota: 1024\n  }\n  resource inner 'x' = {\n    name: 'y'\n  }\n}"),
     ":", "nested resource"),
    ("unsupported decorator", ("param maximumInstanceCount int", "@batchSize(2)\nparam maximumInstanceCount int"),
     ":", "@batchSize"),
    ("int plus string", ("join(defaultCommands, '; ')", "join(defaultCommands, '; ') + 1"), ":15:", "needs two ints"),
    ("resource name from another resource's state",
     ("  name: acaAppName\n", "  name: workspace.properties.customerId\n"), ":", "computable before deployment"),
    ("dependency cycle", ("    zoneRedundant: false", "    zoneRedundant: false\n    x: app.id"), ":", "cycle"),
    ("self reference", ("    environmentId: managedEnv.id", "    environmentId: managedEnv.id\n    x: app.id"), ":",
     "refers to itself"),
    ("duplicate declaration", (APPEND, "var defaultCommand = 'again'\n"), ":", "second declaration"),
    ("newGuid outside a default", (APPEND, "var g = newGuid()\n"), ":", "newGuid() outside a parameter default"),
]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "project")
    return tmp_path / "project"


def _break(project: Path, change: tuple[str, str]) -> None:
    path = project / BICEP
    text = path.read_text()
    old, new = change
    if old == APPEND:
        path.write_text(text + new)
    else:
        assert old in text, old
        path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(("case", "change", "where", "words"), CASES, ids=[c[0] for c in CASES])
def test_broken_bicep_is_refused_with_its_location(project: Path, case: str, change: tuple[str, str], where: str,
                                                   words: str) -> None:
    _break(project, change)
    with pytest.raises((BicepError, WorkspaceInvalid)) as failure:
        evaluate(load_template(project), DEPLOYMENT)
    message = str(failure.value)
    assert f"{BICEP}{where}" in message, message
    assert words in message, message
    problems = validate_workspace(project)
    assert problems and words in " ".join(str(p) for p in problems)


def test_provision_refuses_before_any_azure_call(project: Path) -> None:
    _break(project, (APPEND, "module m './other.bicep' = {\n  name: 'm'\n}\n"))
    # No emulator and no credentials are needed: the template is refused first.
    run = cli_run("provision", "--workspace", str(project), "--target", "azure", "--subscription", "x",
                  "--resource-group", "rg", "--yes", timeout=120)
    assert run.returncode == 2, run.stderr
    assert f"{BICEP}:" in run.stderr and "module" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
