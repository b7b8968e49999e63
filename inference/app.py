"""Chat with the fine-tuned model: a Gradio page at `/` and an OpenAI-compatible API at `/v1`, on $PORT.

What the inference template's container runs, through start.py (`cd /mount/inference && python3 start.py`, which
installs requirements.txt unless a stamp says they are satisfied, then runs this file with the same flags).
Settings come from environment variables (see serving/settings.py); flags override them:

    python3 app.py [--baseonly] [--port 7860] [--host 0.0.0.0] [--engine auto|transformers|vllm]
"""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseonly", action="store_true", help="serve the base model without the LoRA adapter")
    parser.add_argument("--port", type=int, help="port to listen on (default $PORT or 7860)")
    parser.add_argument("--host", help="interface to bind (default $HOST; 0.0.0.0 in a container)")
    parser.add_argument("--engine", choices=["auto", "transformers", "vllm"], help="generation engine")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    log = logging.getLogger("inference")
    from serving.startup import StartupReport

    report = StartupReport()
    from serving.model_files import ModelFilesError, locate_model_files
    from serving.settings import Settings, SettingsError

    try:
        settings = Settings.from_env(port=args.port, host=args.host, engine=args.engine,
                                     base_only=True if args.baseonly else None)
        files = locate_model_files(settings)
    except (SettingsError, ModelFilesError) as error:
        print(f"refusing to start: {error}", file=sys.stderr)
        return 2
    log.info("Serving %s on http://%s:%d as %s (default %s; API key auth: %s)", files.describe(), settings.host,
             settings.port, ", ".join([files.model_id, *(a.id for a in files.adapters)]), files.default_id,
             "on" if settings.auth_enabled else "off")

    with report.phase("app_imports"):
        import uvicorn
        from serving.server import create_app, quiet_server

    failed = False

    def stop_on_load_failure() -> None:
        nonlocal failed
        failed = True
        server.should_exit = True

    with report.phase("app_build"):
        app = create_app(settings, files, on_load_failure=stop_on_load_failure, report=report)
    server = quiet_server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info",
                                           timeout_graceful_shutdown=5))
    server.run()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
