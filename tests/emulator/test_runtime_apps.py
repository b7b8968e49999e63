"""The container runtime: apps run as local processes with their env, secrets, /mount, port, probes, venv."""

from __future__ import annotations

import json
import ssl
import sys
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from .conftest import Azure, app_body, wait_for

SERVER = '''
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"pid": os.getpid(), "prefix": sys.prefix, "cwd": os.getcwd(),
                           "env": {k: os.environ.get(k) for k in ("GREETING", "API_KEY", "PORT", "CONTAINER_APP_NAME")},
                           "mount": sorted(os.listdir("/mount")) if os.path.isdir("/mount") else None,
                           "hello": open("/mount/hello.txt").read()}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass

print("serving on", os.environ["PORT"], flush=True)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
'''

HTTP_PROBES = [{"type": "Startup", "httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 1,
                "failureThreshold": 30},
               {"type": "Readiness", "httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 5},
               {"type": "Liveness", "httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10}]


def _get(fqdn: str, path: str = "/") -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{fqdn}{path}", timeout=10) as response:
        return json.loads(response.read())


def _revision(azure: Azure, group: str, app: str, name: str) -> Any:
    return azure.apps().container_apps_revisions.get_revision(group, app, name)


def _running(azure: Azure, group: str, app: str, name: str) -> Any:
    return wait_for(lambda: (r := _revision(azure, group, app, name)).running_state == "Running" and r, timeout=60)


@pytest.fixture(scope="module")
def web_app(azure: Azure, place: dict[str, str]) -> dict[str, Any]:
    share = Path(place["share_dir"])
    (share / "server.py").write_text(SERVER)
    (share / "hello.txt").write_text("hello from the share")
    (share / "requirements.txt").write_text("aiohttp\n")
    body = app_body(place["env_id"], ["/bin/bash", "-c"],
                    args=["cd /mount && pip install -r requirements.txt && python3 server.py"],
                    env=[{"name": "GREETING", "value": "hi"}, {"name": "API_KEY", "secretRef": "api-key"}],
                    secrets=[{"name": "api-key", "value": "s3cret"}], probes=HTTP_PROBES)
    app = azure.apps().container_apps.begin_create_or_update(place["group"], "web", body).result()
    revision = _running(azure, place["group"], "web", app.latest_revision_name)
    return {"group": place["group"], "fqdn": app.configuration.ingress.fqdn, "revision": revision.name, "app": app}


def test_app_serves_on_its_fqdn_with_env_secrets_and_the_share_at_mount(web_app: dict[str, Any]) -> None:
    answer = _get(web_app["fqdn"])
    # The endpoint is the app's ingress; inside its own network namespace the app listens on its targetPort.
    assert answer["env"] == {"GREETING": "hi", "API_KEY": "s3cret", "PORT": "8080", "CONTAINER_APP_NAME": "web"}
    assert answer["hello"] == "hello from the share"
    assert {"server.py", "hello.txt", "requirements.txt"} <= set(answer["mount"])


def test_app_python_is_its_own_venv_that_sees_installed_packages(azure: Azure, web_app: dict[str, Any]) -> None:
    answer = _get(web_app["fqdn"])
    assert Path(answer["prefix"]).resolve() != Path(sys.prefix).resolve()
    assert str(azure.data_dir.resolve()) in str(Path(answer["prefix"]).resolve())
    replica = azure.apps().container_apps_revision_replicas.list_replicas(
        web_app["group"], "web", web_app["revision"]).value[0]
    lines = _log_lines(azure, web_app, replica.name, tail=100)
    assert any("Requirement already satisfied: aiohttp" in line for line in lines)
    assert any("is not pulled" in line for line in lines)  # the image notice


def _log_lines(azure: Azure, web_app: dict[str, Any], replica: str, *, tail: int) -> list[str]:
    """The log stream as `az containerapp logs show` reads it: eventStreamEndpoint host + getAuthtoken."""
    client = azure.apps()
    app = client.container_apps.get(web_app["group"], "web")
    token = client.container_apps.get_auth_token(web_app["group"], "web").token
    base = app.event_stream_endpoint.split("/subscriptions/")[0]
    url = (f"{base}/subscriptions/{azure.sub}/resourceGroups/{web_app['group']}/containerApps/web/revisions/"
           f"{web_app['revision']}/replicas/{replica}/containers/main/logstream?tailLines={tail}&follow=false"
           "&output=text")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=azure.info.ca_path)) as response:
        return response.read().decode().splitlines()


def test_log_stream_refuses_a_token_of_another_kind(azure: Azure, web_app: dict[str, Any]) -> None:
    import urllib.error

    app = azure.apps().container_apps.get(web_app["group"], "web")
    base = app.event_stream_endpoint.split("/subscriptions/")[0]
    url = (f"{base}/subscriptions/{azure.sub}/resourceGroups/{web_app['group']}/containerApps/web/revisions/"
           f"{web_app['revision']}/replicas/x/containers/main/logstream")
    request = urllib.request.Request(url, headers={"Authorization": "Bearer not-the-app-token"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, context=ssl.create_default_context(cafile=azure.info.ca_path))
    assert raised.value.code == 401


async def test_log_stream_follows_new_lines(azure: Azure, place: dict[str, str]) -> None:
    import asyncio

    client = azure.apps()
    body = app_body(place["env_id"], ["/bin/bash", "-c"],
                    args=["i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done"])
    body["properties"]["configuration"]["ingress"] = None
    app = client.container_apps.begin_create_or_update(place["group"], "ticker", body).result()
    revision = _running(azure, place["group"], "ticker", app.latest_revision_name)
    replica = client.container_apps_revision_replicas.list_replicas(place["group"], "ticker", revision.name).value[0]
    token = client.container_apps.get_auth_token(place["group"], "ticker").token
    url = (f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourceGroups/{place['group']}/"
           f"containerApps/ticker/revisions/{revision.name}/replicas/{replica.name}/containers/main/logstream")
    context = ssl.create_default_context(cafile=azure.info.ca_path)
    async with aiohttp.ClientSession() as http, http.get(
            url, params={"follow": "true", "tailLines": "0", "output": "text"},
            headers={"Authorization": f"Bearer {token}"}, ssl=context) as response:
        assert response.status == 200
        lines = [(await asyncio.wait_for(response.content.readline(), 5)).decode() for _ in range(3)]
    ticks = [int(line.split("tick ")[1]) for line in lines]
    assert ticks == sorted(ticks) and len(set(ticks)) == 3
    client.container_apps.begin_delete(place["group"], "ticker").result()


def test_restart_revision_starts_a_new_replica_process(azure: Azure, web_app: dict[str, Any]) -> None:
    client = azure.apps()
    before_pid = _get(web_app["fqdn"])["pid"]
    before = client.container_apps_revision_replicas.list_replicas(web_app["group"], "web",
                                                                    web_app["revision"]).value[0].name
    client.container_apps_revisions.restart_revision(web_app["group"], "web", web_app["revision"])
    _running(azure, web_app["group"], "web", web_app["revision"])
    after = client.container_apps_revision_replicas.list_replicas(web_app["group"], "web",
                                                                   web_app["revision"]).value[0].name
    assert after != before
    assert _get(web_app["fqdn"])["pid"] != before_pid


def test_crashing_app_is_reported_failed_with_its_last_log_lines(azure: Azure, place: dict[str, str]) -> None:
    client = azure.apps()
    body = app_body(place["env_id"], ["/bin/bash", "-c"],
                    args=["echo 'loading model'; echo 'boom: no weights under /mount/model' >&2; exit 3"])
    app = client.container_apps.begin_create_or_update(place["group"], "crasher", body).result()
    # Generous: the first crash is seconds away, but a loaded CI machine (3 workers, browsers) once took over 30 s.
    revision = wait_for(lambda: (r := _revision(azure, place["group"], "crasher", app.latest_revision_name))
                        .running_state == "Failed" and r, timeout=90)
    assert revision.health_state == "Unhealthy"
    replica = client.container_apps_revision_replicas.list_replicas(place["group"], "crasher", revision.name).value[0]
    container = replica.containers[0]
    assert container.restart_count >= 1 and container.ready is False
    assert "exited with code 3" in container.running_state_details
    token = client.container_apps.get_auth_token(place["group"], "crasher").token
    url = (f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourceGroups/{place['group']}/"
           f"containerApps/crasher/revisions/{revision.name}/replicas/{replica.name}/containers/main/logstream"
           "?tailLines=50&follow=false")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=azure.info.ca_path)) as response:
        lines = response.read().decode().splitlines()
    assert any(line.endswith("boom: no weights under /mount/model") for line in lines)
    client.container_apps.begin_delete(place["group"], "crasher").result()


def test_startup_probe_that_never_passes_keeps_the_revision_activating(azure: Azure, place: dict[str, str]) -> None:
    client = azure.apps()
    body = app_body(place["env_id"], ["/bin/bash", "-c"], args=["exec sleep 600"], probes=HTTP_PROBES)
    app = client.container_apps.begin_create_or_update(place["group"], "sleeper", body).result()
    wait_for(lambda: client.container_apps_revision_replicas.list_replicas(
        place["group"], "sleeper", app.latest_revision_name).value, timeout=10)
    revision = _revision(azure, place["group"], "sleeper", app.latest_revision_name)
    assert (revision.running_state, revision.health_state) == ("Activating", "None")
    replica = client.container_apps_revision_replicas.list_replicas(place["group"], "sleeper", revision.name).value[0]
    assert replica.containers[0].ready is False and replica.containers[0].started is False
    client.container_apps.begin_delete(place["group"], "sleeper").result()


def test_deleting_an_app_ends_its_process(azure: Azure, place: dict[str, str]) -> None:
    import os

    client = azure.apps()
    body = app_body(place["env_id"], ["/bin/bash", "-c"], args=["exec python3 -m http.server $PORT --bind 127.0.0.1"])
    app = client.container_apps.begin_create_or_update(place["group"], "ephemeral", body).result()
    _running(azure, place["group"], "ephemeral", app.latest_revision_name)
    replica = client.container_apps_revision_replicas.list_replicas(place["group"], "ephemeral",
                                                                     app.latest_revision_name).value[0]
    pid = int(replica.containers[0].container_id.rsplit("/", 1)[1])
    os.kill(pid, 0)
    client.container_apps.begin_delete(place["group"], "ephemeral").result()
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
             or " Z " in Path(f"/proc/{pid}/stat").read_text(), timeout=10)
