"""A stand-in for the inference app in deploy tests: starts in milliseconds, serves what the deploy
checks (/health, /v1/models behind the API key) and the content of message.txt at /, so a test can see new
code being served."""

import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEY = os.environ.get("INFERENCE_API_KEY")

if (HERE / "crash.txt").exists():
    print("tiny app: refusing to start:", (HERE / "crash.txt").read_text().strip(), flush=True)
    sys.exit(3)


class Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/health":
            self._send(200, b'{"status": "ok"}')
        elif self.path == "/v1/models":
            given = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if KEY and not hmac.compare_digest(given, KEY):
                self._send(401, b'{"error": {"message": "bad key"}}')
            else:
                self._send(200, json.dumps({"object": "list", "data": [{"id": "tiny"}]}).encode())
        elif self.path == "/":
            self._send(200, (HERE / "message.txt").read_bytes(), "text/plain")
        else:
            self._send(404, b"{}")

    def log_message(self, fmt: str, *args: object) -> None:
        print("tiny app:", fmt % args, flush=True)


port = int(os.environ.get("PORT", "7860"))
print(f"tiny app: listening on {port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
