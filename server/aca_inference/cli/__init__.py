"""The command-line front end: `aca-inference ...`. Parses flags, builds a CliReporter, runs an operation.

Exit codes: 0 done, 1 the operation failed, 2 bad input or usage. With --json the last line of stdout is
one JSON object with the result.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from typing import Any

from ..errors import UserFacingError
from .commands import COMMANDS
from .parser import build_parser
from .reporter import CliReporter


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
        result: dict[str, Any] = asyncio.run(COMMANDS[args.command](args, reporter))
    except UserFacingError as error:
        reporter.log(str(error), "error")
        if json_mode:
            print(json.dumps({"ok": False, "error": str(error)}))
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
    result.setdefault("ok", True)
    exit_code = result.pop("exit_code", 0 if result["ok"] else 1)
    _emit(result, json_mode, reporter)
    return int(exit_code)


if __name__ == "__main__":
    sys.exit(main())
