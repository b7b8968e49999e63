"""The CLI's flags. Common: --workspace, --target, --json, --verbose."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path


def _number(parse: type[int] | type[float], *, what: str, example: str, minimum: float, inclusive: bool,
            rule: str) -> Callable[[str], float]:
    """An argparse type for a count or a number of seconds: argparse turns the ArgumentTypeError into exit 2
    with this text."""

    def convert(text: str) -> float:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what} (e.g. {example})") from None
        if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"'{text}' must be {rule}")
        return value

    return convert


_seconds = _number(float, what="a number of seconds", example="900", minimum=0, inclusive=False,  # --timeout
                   rule="a positive number of seconds (e.g. 900)")
_count = _number(int, what="a whole number of lines", example="100", minimum=0, inclusive=True,  # --tail
                 rule="zero or more lines")
_drain = _number(float, what="a number of seconds", example="20", minimum=0, inclusive=True,  # --drain-seconds
                 rule="zero or more seconds (e.g. 20)")
_releases = _number(int, what="a whole number of releases", example="3", minimum=1, inclusive=True,
                    rule="at least 1 (the serving release is always kept)")


def _switch_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=_seconds, default=None, help="seconds to wait for the endpoint (default 900)")
    parser.add_argument("--drain-seconds", type=_drain, default=None,
                        help="seconds the previous revision keeps serving after the traffic moved, before it is "
                             "deactivated (default 20)")


def _common(parser: argparse.ArgumentParser, *, target: bool = True) -> None:
    parser.add_argument("--workspace", type=Path, default=Path("."), help="workspace folder (default: current folder)")
    if target:
        parser.add_argument("--target", choices=("local", "azure"), default="local",
                            help="local: the embedded Azure emulator (default); azure: the real cloud")
        parser.add_argument("--emulator-data-dir", type=Path, default=None, help="data dir of the local emulator")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    parser.add_argument("--verbose", "-v", action="store_true", help="more detail (and tracebacks of unexpected errors)")


def _deploy_flags(parser: argparse.ArgumentParser) -> None:
    _switch_flags(parser)
    parser.add_argument("--keep-releases", type=_releases, default=None,
                        help="releases kept on the share for rollback (default 3; one a revision uses is always kept)")
    parser.add_argument("--include", action="append", default=None, metavar="FOLDER",
                        help="workspace folder to sync to the share (repeatable; default: inference)")
    parser.add_argument("--demo-model", action="store_true",
                        help="first put the offline demo model on the share if it has no model-cache/")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aca-inference",
                                     description="Take a fine-tuned model to an inference endpoint on Azure Container Apps.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="write a ready workspace: infra/ templates and the inference/ app")
    p.add_argument("directory", type=Path)
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", "-v", action="store_true")

    _common(sub.add_parser("validate", help="check the workspace's infra/ files"), target=False)

    for name, text in (("provision", "create or update the Azure resources for inference"),
                       ("up", "provision, then deploy")):
        p = sub.add_parser(name, help=text)
        _common(p)
        p.add_argument("--subscription", help="subscription id or name")
        p.add_argument("--resource-group", help="resource group name (created in --location if missing)")
        p.add_argument("--location", help="Azure region for a new resource group and the resources")
        p.add_argument("--preview", action="store_true", help="print the plan and change nothing")
        p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
        if name == "up":
            _deploy_flags(p)

    p = sub.add_parser("migrate", help="move a project with its own app (e.g. AI Toolkit's gradio_chat.py) to the ACA "
                                       "Inference app: auth, OpenAI API, /health; your files are kept")
    _common(p, target=False)
    p.add_argument("--preview", action="store_true", help="list every file change and change nothing")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("deploy", help="publish the code as a release, start it beside the serving one, switch the "
                                      "traffic once it answers (or restart, when the app cannot run two)")
    _common(p)
    _deploy_flags(p)

    p = sub.add_parser("rollback", help="bring an earlier release back (ready first, then the traffic)")
    _common(p)
    p.add_argument("--to", default=None, metavar="RELEASE", help="release id (`status` lists them); default: the "
                                                                 "release before the serving one")
    _switch_flags(p)

    p = sub.add_parser("logs", help="the app's console log")
    _common(p)
    p.add_argument("--follow", "-f", action="store_true")
    p.add_argument("--tail", type=_count, default=100)
    p.add_argument("--replica", default=None, help="one replica's log (`status` lists them); default: every replica, "
                                                   "each line named when there are several")

    p = sub.add_parser("status", help="app, revisions, replicas, health, endpoint")
    _common(p)
    p.add_argument("--show-api-key", action="store_true", help="print the endpoint's API key (a secret: mind your screen)")

    p = sub.add_parser("delete", help="delete the inference container app (shared resources stay)")
    _common(p)
    p.add_argument("--yes", "-y", action="store_true")

    p = sub.add_parser("emulator", help="the local Azure emulator")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", "-v", action="store_true")

    p = sub.add_parser("make-demo-model", help="create a tiny offline model + LoRA adapter in the template's layout")
    p.add_argument("--output", type=Path, required=True, help="folder that gets model-cache/ and models/")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", "-v", action="store_true")
    return parser
