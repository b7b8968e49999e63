"""Bad input, one table: every case gets one clear message naming what is wrong (file, field, flag or
resource) and the fix, no traceback, the exit code of its kind (2 bad input, 1 the operation failed), and no
workspace file changed.

The CLI runs in-process (`aca_inference.cli.main`, the same function the `aca-inference` script calls) so
the table stays fast; the few cases that reach Azure use the session's emulator. Real subprocesses are
elsewhere (test_config_and_lock, the campaigns).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aca_inference.cli import main
from tests.deploy.conftest import make_workspace

GUID = "00000000-0000-4000-8000-000000000001"
GOOD_CONFIG = {"SUBSCRIPTION_ID": GUID, "RESOURCE_GROUP_NAME": "rg-corpus", "STORAGE_ACCOUNT_NAME": "stcorpus01",
               "FILE_SHARE_NAME": "share-corpus", "ACA_APP_NAME": "app-corpus", "ACA_APP_ENDPOINT": None}
CONFIG = "infra/inference.config.json"


def config(**changes: Any) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        data = {**GOOD_CONFIG, **changes}
        (root / CONFIG).write_text(json.dumps({k: v for k, v in data.items() if v is not ...}, indent=2) + "\n")
    return write


def raw_config(content: bytes) -> Callable[[Path], None]:
    return lambda root: (root / CONFIG).write_bytes(content)


def exact(*paths_and_contents: tuple[str, str]) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        for relative, content in paths_and_contents:
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(content)
    return write


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]  # {ws} = the workspace, {file} = a file (not a folder), {missing} = a path that is not there
    exit_code: int
    says: tuple[str, ...]  # each must appear (whitespace collapsed)
    setup: tuple[Callable[[Path], None], ...] = field(default_factory=tuple)
    emulator: bool = False  # reaches the local emulator (the session's)


WS = ["--workspace", "{ws}"]
DEPLOY = ["deploy", *WS]
FIX_CONFIG = "run provision"

CASES = [
    # -- flags: argparse refuses at parse time, exit 2, naming the flag -----------------------------------------
    Case("timeout-negative", [*DEPLOY, "--timeout", "-5"], 2, ("argument --timeout: '-5' must be a positive number",)),
    Case("timeout-zero", [*DEPLOY, "--timeout", "0"], 2, ("argument --timeout: '0' must be a positive number",)),
    Case("timeout-word", [*DEPLOY, "--timeout", "soon"], 2, ("argument --timeout: 'soon' is not a number of seconds",)),
    Case("timeout-nan", [*DEPLOY, "--timeout", "nan"], 2, ("argument --timeout: 'nan' must be a positive number",)),
    Case("timeout-inf", [*DEPLOY, "--timeout", "inf"], 2, ("argument --timeout: 'inf' must be a positive number",)),
    Case("up-timeout-negative", ["up", *WS, "--timeout", "-1"], 2, ("argument --timeout: '-1' must be a positive",)),
    Case("tail-negative", ["logs", *WS, "--tail", "-3"], 2, ("argument --tail: '-3' must be zero or more lines",)),
    Case("tail-word", ["logs", *WS, "--tail", "many"], 2, ("argument --tail: 'many' is not a whole number",)),
    Case("drain-negative", [*DEPLOY, "--drain-seconds", "-1"], 2,
         ("argument --drain-seconds: '-1' must be zero or more seconds",)),
    Case("keep-no-release", [*DEPLOY, "--keep-releases", "0"], 2,
         ("argument --keep-releases: '0' must be at least 1 (the serving release is always kept)",)),
    Case("rollback-no-app", ["rollback", *WS, "--to", "20261205-000000-abcdef0"], 2,
         ("ACA_APP_NAME: container app 'app-corpus' was not found", "run provision or correct the value")),
    Case("rollback-no-config", ["rollback", *WS], 2, (f"{CONFIG}: file not found; run provision first",),
         setup=(lambda root: (root / CONFIG).unlink(),)),
    Case("target-unknown", [*DEPLOY, "--target", "cloud"], 2, ("argument --target: invalid choice: 'cloud'",)),
    Case("command-unknown", ["deploi", *WS], 2, ("invalid choice: 'deploi'",)),
    Case("emulator-action-unknown", ["emulator", "restart"], 2, ("argument action: invalid choice: 'restart'",)),
    Case("flag-unknown", [*DEPLOY, "--force"], 2, ("unrecognized arguments: --force",)),
    Case("demo-model-no-output", ["make-demo-model"], 2, ("the following arguments are required: --output",)),
    # -- the workspace path ---------------------------------------------------------------------------------
    *[Case(f"workspace-is-a-file-{command}", [command, "--workspace", "{file}", *extra], 2,
           ("--workspace '{file}' is a file, not a folder", "Pass the workspace folder"))
      for command, extra in (("validate", []), ("deploy", []), ("provision", ["--yes"]), ("up", ["--yes"]),
                             ("status", []), ("logs", []), ("delete", ["--yes"]))],
    Case("init-into-a-file", ["init", "{file}"], 2, ("init: '{file}' is a file, not a folder",)),
    Case("workspace-missing-deploy", ["deploy", "--workspace", "{missing}"], 2,
         ("--workspace '{missing}': no such folder", "aca-inference init")),
    Case("workspace-missing-validate", ["validate", "--workspace", "{missing}"], 2,
         ("--workspace '{missing}': no such folder",)),
    # -- infra/inference.config.json ------------------------------------------------------------------------
    Case("config-missing", DEPLOY, 2, (f"{CONFIG}: file not found; run provision first",),
         setup=(lambda root: (root / CONFIG).unlink(),)),
    Case("config-bad-json", DEPLOY, 2, (f"{CONFIG}:2:22: expected valid JSON",),
         setup=(raw_config(b'{\n  "SUBSCRIPTION_ID": ,\n}\n'),)),
    Case("config-empty", DEPLOY, 2, (f"{CONFIG}", "expected valid JSON"), setup=(raw_config(b""),)),
    Case("config-array", DEPLOY, 2, (f"{CONFIG}", "expected a JSON object"), setup=(raw_config(b"[1, 2]\n"),)),
    Case("config-not-utf8", DEPLOY, 2, (f"{CONFIG}", "expected UTF-8 text"),
         setup=(raw_config(b'{"ACA_APP_NAME": "caf\xe9"}'),)),
    Case("config-is-a-folder", DEPLOY, 2, (f"{CONFIG}", "expected a readable file"),
         setup=(lambda root: ((root / CONFIG).unlink(), (root / CONFIG).mkdir()),)),
    Case("config-subscription-not-guid", DEPLOY, 2, (f"{CONFIG}", "SUBSCRIPTION_ID", "expected a subscription id"),
         setup=(config(SUBSCRIPTION_ID="my-subscription"),)),
    Case("config-account-uppercase", DEPLOY, 2, (f"{CONFIG}", "STORAGE_ACCOUNT_NAME", "StCorpus"),
         setup=(config(STORAGE_ACCOUNT_NAME="StCorpus"),)),
    Case("config-account-too-short", DEPLOY, 2, (f"{CONFIG}", "STORAGE_ACCOUNT_NAME"),
         setup=(config(STORAGE_ACCOUNT_NAME="ab"),)),
    Case("config-share-underscore", DEPLOY, 2, (f"{CONFIG}", "FILE_SHARE_NAME", "Share_1"),
         setup=(config(FILE_SHARE_NAME="Share_1"),)),
    Case("config-app-leading-dash", DEPLOY, 2, (f"{CONFIG}", "ACA_APP_NAME", "-app"),
         setup=(config(ACA_APP_NAME="-app"),)),
    Case("config-group-bad-char", DEPLOY, 2, (f"{CONFIG}", "RESOURCE_GROUP_NAME", "rg#1"),
         setup=(config(RESOURCE_GROUP_NAME="rg#1"),)),
    Case("config-app-missing", DEPLOY, 2, (f"{CONFIG}", "ACA_APP_NAME", "expected a value", FIX_CONFIG),
         setup=(config(ACA_APP_NAME=...),)),
    Case("config-share-null", DEPLOY, 2, (f"{CONFIG}", "FILE_SHARE_NAME", "expected a value", FIX_CONFIG),
         setup=(config(FILE_SHARE_NAME=None),)),
    Case("config-group-empty", DEPLOY, 2, (f"{CONFIG}", "RESOURCE_GROUP_NAME", "expected a value"),
         setup=(config(RESOURCE_GROUP_NAME=""),)),
    Case("config-endpoint-spaces", DEPLOY, 2, (f"{CONFIG}", "ACA_APP_ENDPOINT", "expected a host name or URL"),
         setup=(config(ACA_APP_ENDPOINT="my app.example"),)),
    Case("config-account-number", DEPLOY, 2, (f"{CONFIG}", "STORAGE_ACCOUNT_NAME", "expected a string or null"),
         setup=(config(STORAGE_ACCOUNT_NAME=5),)),
    Case("config-status-bad", ["status", *WS], 2, (f"{CONFIG}", "SUBSCRIPTION_ID"),
         setup=(config(SUBSCRIPTION_ID="x"),)),
    Case("config-delete-missing", ["delete", *WS, "--yes"], 2, (f"{CONFIG}: file not found",),
         setup=(lambda root: (root / CONFIG).unlink(),)),
    # -- deploy includes and the contents of inference/ -------------------------------------------------------
    Case("include-outside", [*DEPLOY, "--include", "../elsewhere"], 2,
         ("Deploy include '../elsewhere' must be a folder or file inside the workspace",)),
    Case("include-absolute", [*DEPLOY, "--include", "/etc"], 2, ("Deploy include '/etc' must be a folder or file",)),
    Case("include-models", [*DEPLOY, "--include", "models/adapter"], 2,
         ("Deploy include 'models/adapter' is inside models/", "Remove it from the include list")),
    Case("include-model-cache", [*DEPLOY, "--include", "model-cache"], 2, ("is inside model-cache/",)),
    Case("include-missing", [*DEPLOY, "--include", "serving"], 2,
         ("Deploy include 'serving' does not exist", "fix the include list")),
    Case("inference-empty", DEPLOY, 2, ("Nothing to deploy: inference/", "fix the ignore rules"),
         setup=(lambda root: [p.unlink() for p in (root / "inference").iterdir()],)),
    Case("ignore-file-ignores-all", DEPLOY, 2, ("Nothing to deploy", ".acainferenceignore"),
         setup=(exact(("inference/.acainferenceignore", "*\n")),)),
    Case("gitignore-ignores-all", DEPLOY, 2, ("Nothing to deploy", ".gitignore"),
         setup=(exact((".gitignore", "inference/\n")),)),
    Case("name-colon", DEPLOY, 2, ("'inference/a:b.txt' has the character ':'", "rename them, or add them to "
                                   ".acainferenceignore"), setup=(exact(("inference/a:b.txt", "x")),)),
    Case("name-trailing-dot", DEPLOY, 2, ("'inference/notes.' has a name ending in a dot",),
         setup=(exact(("inference/notes.", "x")),)),
    Case("name-trailing-space", DEPLOY, 2, ("'inference/notes ' has a name ending in a dot or space",),
         setup=(exact(("inference/notes ", "x")),)),
    Case("name-control-character", DEPLOY, 2, ("'inference/bell\\x07.txt' has the character '\\x07'",),
         setup=(exact(("inference/bell\x07.txt", "x")),)),
    Case("name-pipe-in-folder", DEPLOY, 2, ("'inference/a|b/c.txt' has the character '|'",),
         setup=(exact(("inference/a|b/c.txt", "x")),)),
    Case("name-case-collision", DEPLOY, 2, ("'inference/Readme.md' and 'inference/readme.md' differ only in letter case",),
         setup=(exact(("inference/Readme.md", "a"), ("inference/readme.md", "b")),)),
    Case("names-all-at-once", DEPLOY, 2, ("3 name(s)", "'inference/a?.txt'", "'inference/b*.txt'", "'inference/c<.txt'"),
         setup=(exact(("inference/a?.txt", "x"), ("inference/b*.txt", "x"), ("inference/c<.txt", "x")),)),
    Case("name-ignored-is-fine-but-other-bad", DEPLOY, 2, ("'inference/keep\".txt'",),
         setup=(exact(("inference/.acainferenceignore", "skip?.txt\n"), ("inference/skip?.txt", "x"),
                      ('inference/keep".txt', "x")),)),
    # -- credentials and targets ----------------------------------------------------------------------------
    Case("local-app-not-found", DEPLOY, 2, (f"{CONFIG}: ACA_APP_NAME: container app 'app-corpus' was not found",
                                            FIX_CONFIG), emulator=True),
    Case("local-status-app-not-found", ["status", *WS], 2, ("app-corpus",), emulator=True),
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = make_workspace(tmp_path / "ws")
    config()(root)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".aca-inference" not in p.parts}


def _argv(case: Case, root: Path, tmp_path: Path, emulator: Any | None) -> list[str]:
    a_file = tmp_path / "not-a-folder.json"
    a_file.write_text("{}\n")
    values = {"ws": str(root), "file": str(a_file), "missing": str(tmp_path / "nowhere")}
    argv = [part.format(**values) for part in case.argv]
    if emulator is not None:
        argv += ["--emulator-data-dir", str(emulator.data_dir)]
    return argv


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_clear_message(case: Case, workspace: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    emulator = request.getfixturevalue("emulator") if case.emulator else None
    for step in case.setup:
        step(workspace)
    argv = _argv(case, workspace, tmp_path, emulator)
    before = _snapshot(workspace)
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own exit on a bad flag
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    output = re.sub(r"\s+", " ", out + err)
    assert "Traceback" not in output and "Unexpected error" not in output, output
    assert code == case.exit_code, output
    values = {"file": str(tmp_path / "not-a-folder.json"), "missing": str(tmp_path / "nowhere")}
    for words in case.says:
        assert words.format(**values) in output, output
    assert _snapshot(workspace) == before


def test_the_corpus_is_large_and_covers_every_area() -> None:
    assert len(CASES) >= 50
    prefixes = {c.id.split("-")[0] for c in CASES}
    assert {"timeout", "workspace", "config", "include", "name", "local", "ignore", "gitignore"} <= prefixes
