"""Where network namespaces are unavailable, containers share the host's network: each is given a free host
port in PORT (standing for its targetPort) and the endpoint's ingress relays to it."""

from __future__ import annotations

import json
import urllib.request

import pytest

from aca_emulator.runtime import sandbox

from .conftest import Azure, app_body, wait_for

SERVE = "import http.server, json, os\n" \
        "class H(http.server.BaseHTTPRequestHandler):\n" \
        "    def do_GET(self):\n" \
        "        body = json.dumps({'port': os.environ['PORT']}).encode()\n" \
        "        self.send_response(200); self.end_headers(); self.wfile.write(body)\n" \
        "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n"


def test_without_network_namespaces_the_app_listens_on_port_behind_its_endpoint(
        azure: Azure, place: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sandbox._unshare_ok, ("--mount", "--net"), False)
    client = azure.apps()
    body = app_body(place["env_id"], ["python3", "-c", SERVE], target_port=7860)
    body["properties"]["template"]["containers"][0]["volumeMounts"] = []
    app = client.container_apps.begin_create_or_update(place["group"], "hostnet", body).result()
    wait_for(lambda: client.container_apps_revisions.get_revision(
        place["group"], "hostnet", app.latest_revision_name).running_state == "Running", timeout=60)
    fqdn = app.configuration.ingress.fqdn
    with urllib.request.urlopen(f"http://{fqdn}/", timeout=10) as response:
        port = json.loads(response.read())["port"]
    assert port not in ("7860", fqdn.split(":")[1])  # a host port of its own, not the endpoint's
    client.container_apps.begin_delete(place["group"], "hostnet").result()
