"""The AI Toolkit-shaped project runs as ACA runs it: its bicep's resources (aitoolkit.py), its folder on the
share, its command (`/bin/bash -c '<joined commands>'`), its app hard-coded on 0.0.0.0:7860 behind the
endpoint, its probes (startup 60 s + 120 s x 10) scaled by the time scale."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request

import pytest

from aca_emulator.runtime.probes import parse_probes

from .aitoolkit import FIXTURE, STORAGE_VERSION, Deployment, Names, container_app, share, storage_account
from .conftest import Azure, wait_for
from .test_runtime_ingress import OWN_NETWORK


def test_fixture_startup_window_is_acas_at_scale_1_and_short_at_test_scale() -> None:
    names = Names("s", "g", "abcde")
    container = container_app(names, "westus3")["properties"]["template"]["containers"][0]
    startup = parse_probes(container, target_port=7860)["Startup"]
    # At scale 1: the first check 60 s after the start, then every 120 s, up to 60 + 120 x 10 s (ACA's window).
    assert (startup.initial_delay * 1.0, startup.cadence(1.0), startup.period * startup.failure_threshold) == (
        60, 120, 1200)
    # At the tests' scale the app is seen ready within a fraction of a second of answering; the failure budget
    # stays real seconds, so a slow CPU start is not mistaken for a failure.
    assert startup.initial_delay * 0.002 == pytest.approx(0.12) and startup.cadence(0.002) == pytest.approx(0.24)


@pytest.mark.slow
@pytest.mark.skipif(not OWN_NETWORK, reason="the fixture's app binds 7860 whatever PORT says: it needs its own "
                                            "network namespace")
def test_ai_toolkit_project_serves_its_gradio_page_through_the_endpoint(azure: Azure) -> None:
    deployment = Deployment(azure)
    n = deployment.names
    started = time.monotonic()
    # The fixture's project folder is what the fine-tuning job left on the share (the same PUTs deploy() sends:
    # a deployment converges).
    deployment.put(n.account_id(), STORAGE_VERSION, storage_account("westus3"))
    deployment.put(n.share_id(), STORAGE_VERSION, share())
    share_dir = azure.data_dir / "shares" / n.account / n.share
    for entry in FIXTURE.iterdir():
        if entry.is_dir():
            shutil.copytree(entry, share_dir / entry.name, dirs_exist_ok=True)
    deployment.deploy()  # the default command of the parameters file
    client = azure.apps()
    app = client.container_apps.get(n.group, n.app)
    wait_for(lambda: client.container_apps_revisions.get_revision(
        n.group, n.app, app.latest_revision_name).running_state == "Running", timeout=120)
    with urllib.request.urlopen(f"http://{app.configuration.ingress.fqdn}/", timeout=30) as response:
        page = response.read().decode()
    assert response.status == 200 and "gradio" in page.lower()
    request = urllib.request.Request(f"http://{app.configuration.ingress.fqdn}/v1/chat/completions", method="POST",
                                     data=json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        event = json.loads(response.readline().decode().removeprefix("data: "))
    assert event["choices"][0]["delta"]["content"] == "You said: hi"
    assert time.monotonic() - started < 90
    client.container_apps.begin_delete(n.group, n.app).result()
