"""The command-line front end: `aca-inference ...`. Parses flags, builds a CliReporter, runs an operation.

Exit codes: 0 done, 1 the operation failed, 2 bad input or usage. With --json the last line of stdout is
one JSON object with the result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import traceback
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ..errors import InputError, UserFacingError
from ..ops.registry import BY_NAME
from .commands import run_operation
from .parser import build_parser
from .reporter import CliReporter


def _check_workspace(args: argparse.Namespace) -> Path | None:
    """The workspace folder, checked once here so every command words a bad path the same way."""
    if args.command == "init":
        directory = Path(args.directory)
        if directory.exists() and not directory.is_dir():
            raise InputError(f"init: '{directory}' is a file, not a folder. Give the folder to create the workspace "
                             "in (it may exist; existing files are kept unless --force).")
        return None
    workspace = getattr(args, "workspace", None)
    if workspace is None:
        return None
    if not workspace.exists():
        raise InputError(f"--workspace '{workspace}': no such folder. Pass the workspace folder (the one that holds "
                         "infra/ and inference/), or create one with `aca-inference init <folder>`.")
    if not workspace.is_dir():
        raise InputError(f"--workspace '{workspace}' is a file, not a folder. Pass the workspace folder (the one "
                         f"that holds infra/ and inference/), e.g. --workspace '{workspace.parent}'.")
    return Path(workspace).resolve()


def _run(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    workspace = _check_workspace(args)
    operation = BY_NAME[args.command]
    with ExitStack() as stack:
        # Operations that change the workspace's files, the share or the app: one at a time per workspace.
        if workspace is not None and operation.changes_workspace_with(vars(args)):
            from ..workspace.lock import workspace_lock

            note = stack.enter_context(workspace_lock(workspace, args.command))
            if note:
                reporter.log(note, "warning")
        answer = asyncio.run(run_operation(operation, args, reporter))
    result = {**answer.as_json(), "ok": answer.ok}
    if not result["ok"]:
        result.setdefault("exit_code", operation.failure_exit_code)
    return result


def _emit(result: dict[str, Any], json_mode: bool, reporter: CliReporter) -> None:
    if json_mode:
        print(json.dumps(result, default=str))
    elif (summary := result.get("summary")) is not None and not (
            # stdout carries the result; on a terminal the words just shown as a notification are not repeated.
            sys.stdout.isatty() and reporter.console.is_terminal and summary in reporter.notified):
        print(summary)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    json_mode = bool(getattr(args, "json", False))
    reporter = CliReporter(assume_yes=getattr(args, "yes", False), json_mode=json_mode,
                           verbose=getattr(args, "verbose", False))
    try:
        result: dict[str, Any] = _run(args, reporter)
    except UserFacingError as error:
        reporter.log(str(error), "error")
        if json_mode:
            print(json.dumps({"ok": False, "error": str(error), **error.as_json()}))
        return error.exit_code
    except KeyboardInterrupt:
        reporter.log("Aborted.", "error")
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for the user
        if getattr(args, "verbose", False):
            traceback.print_exc()
        reporter.log(f"Unexpected error ({type(error).__name__}): {error}. Run again with --verbose for details.", "error")
        if json_mode:
            print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}))
        return 1
    exit_code = result.pop("exit_code", 0)
    _emit(result, json_mode, reporter)
    return int(exit_code)


if __name__ == "__main__":
    sys.exit(main())
