"""Each replica has its own network, the app's ingress in front: apps bind the same targetPort (7860, hard-coded,
ignoring PORT) at the same time, each reached through its own endpoint; keep-alive, SSE and websockets pass."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from aca_emulator.testing import running_emulator

from .conftest import Azure, app_body, wait_for

OWN_NETWORK = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--net", "true"],
                             capture_output=True).returncode == 0
pytestmark = pytest.mark.skipif(not OWN_NETWORK, reason="no unprivileged network namespaces here: apps share the "
                                                        "host's network and must listen on PORT")

HOLD = 3.0


@pytest.fixture(scope="module")
def azure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azure]:
    """This module's emulator holds a connection for HOLD seconds while a replica starts."""
    data_dir = tmp_path_factory.mktemp("emulator")
    with running_emulator(data_dir, time_scale=0.001, ingress_hold=HOLD) as info:
        yield Azure(info, data_dir)


# Binds 7860 whatever PORT says, like the AI Toolkit's gradio_chat.py.
APP = '''
import asyncio, os, sys
from aiohttp import web

NAME, HOST = sys.argv[1], sys.argv[2]

async def hello(request):
    peer = request.transport.get_extra_info("peername")
    return web.json_response({"name": NAME, "port": request.transport.get_extra_info("sockname")[1],
                              "peer": list(peer)[:2], "env_port": os.environ.get("PORT")})

async def events(request):
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    await response.write(b"data: first\\n\\n")
    while not os.path.exists(f"/mount/go-{NAME}"):
        await asyncio.sleep(0.02)
    await response.write(b"data: second\\n\\n")
    return response

async def echo(request):
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    async for message in socket:
        await socket.send_str(f"{NAME}:{message.data}")
    return socket

app = web.Application()
app.add_routes([web.get("/", hello), web.get("/events", events), web.get("/ws", echo)])
web.run_app(app, host=HOST, port=7860, print=None)
'''


def _create(azure: Azure, place: dict[str, str], name: str, host: str) -> str:
    body = app_body(place["env_id"], ["/bin/bash", "-c"], args=[f"exec python3 /mount/app.py {name} {host}"],
                    target_port=7860)
    app = azure.apps().container_apps.begin_create_or_update(place["group"], name, body).result()
    wait_for(lambda: azure.apps().container_apps_revisions.get_revision(
        place["group"], name, app.latest_revision_name).running_state == "Running", timeout=60)
    return str(app.configuration.ingress.fqdn)


@pytest.fixture(scope="module")
def endpoints(azure: Azure, place: dict[str, str]) -> dict[str, str]:
    (Path(place["share_dir"]) / "app.py").write_text(APP)
    return {"alpha": _create(azure, place, "alpha", "127.0.0.1"), "beta": _create(azure, place, "beta", "0.0.0.0")}


def _get(fqdn: str, path: str = "/") -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{fqdn}{path}", timeout=10) as response:
        return dict(json.loads(response.read()))


def test_two_apps_bound_to_the_same_port_serve_at_once_through_their_own_endpoints(
        endpoints: dict[str, str]) -> None:
    assert endpoints["alpha"] != endpoints["beta"]
    alpha, beta = _get(endpoints["alpha"]), _get(endpoints["beta"])
    assert (alpha["name"], alpha["port"], alpha["env_port"]) == ("alpha", 7860, "7860")
    assert (beta["name"], beta["port"]) == ("beta", 7860)


async def test_keep_alive_connection_is_carried_through_the_ingress(endpoints: dict[str, str]) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:
        peers = []
        for _ in range(3):
            async with http.get(f"http://{endpoints['alpha']}/") as response:
                peers.append(tuple((await response.json())["peer"]))
    assert len(set(peers)) == 1  # one client connection, one upstream connection, three requests


async def test_sse_events_pass_through_the_ingress_unbuffered(endpoints: dict[str, str],
                                                              place: dict[str, str]) -> None:
    flag = Path(place["share_dir"]) / "go-beta"
    flag.unlink(missing_ok=True)
    async with aiohttp.ClientSession() as http, http.get(f"http://{endpoints['beta']}/events") as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        # The first event arrives while the app still holds the response open.
        assert await asyncio.wait_for(response.content.readline(), 5) == b"data: first\n"
        assert await asyncio.wait_for(response.content.readline(), 5) == b"\n"
        flag.touch()
        assert await asyncio.wait_for(response.content.readline(), 5) == b"data: second\n"


async def test_websocket_passes_through_the_ingress(endpoints: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(f"http://{endpoints['alpha']}/ws") as socket:
        for word in ("one", "two"):
            await socket.send_str(word)
            message = await asyncio.wait_for(socket.receive(), 5)
            assert message.data == f"alpha:{word}"


def test_endpoint_answers_503_no_healthy_upstream_when_no_replica_runs(azure: Azure, place: dict[str, str]) -> None:
    (Path(place["share_dir"]) / "app.py").write_text(APP)
    fqdn = _create(azure, place, "gamma", "0.0.0.0")
    assert _get(fqdn)["name"] == "gamma"
    client = azure.apps()
    revision = client.container_apps.get(place["group"], "gamma").latest_revision_name
    client.container_apps_revisions.deactivate_revision(place["group"], "gamma", revision)
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"http://{fqdn}/", timeout=10)
    assert (raised.value.code, raised.value.read()) == (503, b"no healthy upstream")
    assert time.monotonic() - started < 2  # nothing is starting: no hold
    client.container_apps.begin_delete(place["group"], "gamma").result()


def test_request_during_startup_is_held_until_the_replica_is_ready(azure: Azure, place: dict[str, str]) -> None:
    share = Path(place["share_dir"])
    (share / "app.py").write_text(APP)
    body = app_body(place["env_id"], ["/bin/bash", "-c"], args=["sleep 0.5; exec python3 /mount/app.py delta 0.0.0.0"],
                    target_port=7860)
    app = azure.apps().container_apps.begin_create_or_update(place["group"], "delta", body).result()
    assert _get(str(app.configuration.ingress.fqdn))["name"] == "delta"  # held, not refused
    azure.apps().container_apps.begin_delete(place["group"], "delta").result()


def test_request_to_a_replica_that_never_gets_ready_times_out_504_stream_timeout(
        azure: Azure, place: dict[str, str]) -> None:
    body = app_body(place["env_id"], ["/bin/bash", "-c"], args=["exec sleep 600"], target_port=7860)
    app = azure.apps().container_apps.begin_create_or_update(place["group"], "epsilon", body).result()
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"http://{app.configuration.ingress.fqdn}/", timeout=30)
    assert (raised.value.code, raised.value.read()) == (504, b"stream timeout")
    assert HOLD <= time.monotonic() - started < HOLD + 2
    azure.apps().container_apps.begin_delete(place["group"], "epsilon").result()


def test_app_without_volumes_gets_its_own_network_too(azure: Azure, place: dict[str, str]) -> None:
    code = ("import http.server\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_GET(self):\n"
            "        self.send_response(200); self.end_headers(); self.wfile.write(b'bare')\n"
            "http.server.HTTPServer(('0.0.0.0', 7860), H).serve_forever()\n")
    body = app_body(place["env_id"], ["python3", "-c", code], target_port=7860)
    body["properties"]["template"]["containers"][0]["volumeMounts"] = []
    body["properties"]["template"]["volumes"] = []
    client = azure.apps()
    app = client.container_apps.begin_create_or_update(place["group"], "bare", body).result()
    wait_for(lambda: client.container_apps_revisions.get_revision(
        place["group"], "bare", app.latest_revision_name).running_state == "Running", timeout=60)
    with urllib.request.urlopen(f"http://{app.configuration.ingress.fqdn}/", timeout=10) as response:
        assert response.read() == b"bare"
    client.container_apps.begin_delete(place["group"], "bare").result()
