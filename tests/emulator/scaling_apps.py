"""A small app for the scaling and revision tests: answers which replica and revision served the request, counts the
probes it got, serves slow requests (for concurrency), one thread per request."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from .conftest import Azure, app_body

WHO_AM_I = '''
import json, os, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

probes = {"count": 0}

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            probes["count"] += 1
            body = b"ok"
        else:
            if self.path.startswith("/slow"):
                time.sleep(float(self.path.split("=")[1]))
            print("request", self.path, flush=True)
            body = json.dumps({"replica": os.environ["CONTAINER_APP_REPLICA_NAME"],
                               "revision": os.environ["CONTAINER_APP_REVISION"],
                               "version": os.environ.get("VERSION"), "probes": probes["count"]}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass

print("replica", os.environ["CONTAINER_APP_REPLICA_NAME"], "serving", flush=True)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
'''

READINESS = [{"type": "Readiness", "httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 2,
              "failureThreshold": 3}]


def scaled_app_body(place: dict[str, str], *, scale: dict[str, Any], version: str = "one",
                    suffix: str | None = None, mode: str = "Single") -> dict[str, Any]:
    (Path(place["share_dir"]) / "who.py").write_text(WHO_AM_I)
    body = app_body(place["env_id"], ["python3", "/mount/who.py"], probes=READINESS,
                    env=[{"name": "VERSION", "value": version}])
    body["properties"]["template"]["scale"] = scale
    body["properties"]["configuration"]["activeRevisionsMode"] = mode
    if suffix:
        body["properties"]["template"]["revisionSuffix"] = suffix
    return body


def ask(fqdn: str, path: str = "/", timeout: float = 30) -> dict[str, Any]:
    """One request on its own connection (the ingress balances per connection)."""
    with urllib.request.urlopen(f"http://{fqdn}{path}", timeout=timeout) as response:
        return dict(json.loads(response.read()))


def replica_names(azure: Azure, group: str, app: str, revision: str) -> list[str]:
    listed = azure.apps().container_apps_revision_replicas.list_replicas(group, app, revision)
    return [replica.name for replica in listed.value]


def ready_replica_names(azure: Azure, group: str, app: str, revision: str) -> list[str]:
    """The replicas whose every container is ready (what the ingress balances across)."""
    listed = azure.apps().container_apps_revision_replicas.list_replicas(group, app, revision)
    return [replica.name for replica in listed.value
            if replica.containers and all(container.ready for container in replica.containers)]
