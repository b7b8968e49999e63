"""`python -m aca_emulator serve --data-dir D [--time-scale X] [--port-management P --port-files P]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from .control import default_data_dir
    from .server import serve_forever
    from .settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m aca_emulator",
                                     description="The local Azure emulator (ARM, Azure Files, container apps).")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run in the foreground until SIGTERM/SIGINT")
    serve.add_argument("--data-dir", type=Path, default=None, help="state, shares, certificates (default: "
                       "$ACA_INFERENCE_HOME/emulator)")
    serve.add_argument("--time-scale", type=float, default=None,
                       help="multiplier of the simulated operation durations (default 0.1; 1 = real Azure timing)")
    serve.add_argument("--port-management", type=int, default=0, help="management (ARM) port; 0 = any free port")
    serve.add_argument("--port-files", type=int, default=0, help="Azure Files port; 0 = any free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(args.data_dir or default_data_dir(), time_scale=args.time_scale,
                             management_port=args.port_management, files_port=args.port_files)
    if settings.time_scale < 0:
        print("--time-scale must be >= 0", file=sys.stderr)
        return 2
    asyncio.run(serve_forever(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
