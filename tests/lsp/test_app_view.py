"""The app view's feed over real stdio (the daemon as VS Code runs it, the local emulator behind it): what the
Inference App tree and the status bar get, when the daemon pushes it, and that nothing is read while no one
looks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.deploy.conftest import deploy, make_workspace, provision_workspace
from tests.lsp.conftest import open_workspace, run_command
from tests.provision.arm import ArmProbe

FIXTURES = Path(__file__).resolve().parents[2] / "client-ts" / "test" / "fixtures"


def _as_dict(value: Any) -> Any:
    """pytest-lsp hands custom params over as they came (dicts) or as attribute objects: dicts either way."""
    if isinstance(value, dict):
        return {k: _as_dict(v) for k, v in value.items()}
    if hasattr(value, "_asdict"):  # pygls' namedtuple for an untyped answer
        return {k: _as_dict(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_as_dict(v) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {k: _as_dict(v) for k, v in vars(value).items()}
    return value


def _collect_pushes(client: LanguageClient) -> list[dict[str, Any]]:
    pushes: list[dict[str, Any]] = []

    @client.feature("acaInference/appStateChanged")
    def pushed(ls: LanguageClient, params: Any) -> None:
        pushes.append(_as_dict(params))

    @client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def dismiss(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> None:
        return None  # the deploy's "endpoint is ready" toast, left unanswered

    return pushes


async def _until(check: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def _settings(emulator: Any) -> dict[str, Any]:
    return {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}, "deploy": {"drainSeconds": 0.5}}


async def test_an_unprovisioned_workspace_is_told_to_provision_without_any_azure_request(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    root = make_workspace(tmp_path)
    probe = ArmProbe(emulator)
    mark = probe.mark()
    await open_workspace(lsp_client, root, _settings(emulator))
    state = _as_dict(await lsp_client.protocol.send_request_async("acaInference/appState", {}))
    assert state["workspace"] == "unprovisioned"
    assert state["status"] is None and state["error"] is None
    assert probe.requests_since(mark) == []


async def test_a_deploy_pushes_its_progress_then_the_release_that_serves(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    root = make_workspace(tmp_path)
    provision_workspace(emulator, root, "rg-lsp-view-deploy")
    pushes = _collect_pushes(lsp_client)
    copied: list[str] = []

    @lsp_client.feature("acaInference/copyToClipboard")
    def clipboard(ls: LanguageClient, params: Any) -> None:
        copied.append(_as_dict(params)["text"])

    await open_workspace(lsp_client, root, _settings(emulator))
    before = _as_dict(await lsp_client.protocol.send_request_async("acaInference/appState", {}))
    assert before["workspace"] == "provisioned"
    assert before["status"]["releases"] == [], "provisioned, never deployed: no release yet"

    result = await run_command(lsp_client, "deploy")
    assert result["ok"] is True, result
    final = await _until(lambda: next((p for p in reversed(pushes)
                                       if p["activity"] is None and p["status"] and p["status"]["serving_release"]),
                                      None))
    releases = final["status"]["releases"]
    assert [r["id"] for r in releases if r["serving"]] == [final["status"]["serving_release"]]
    serving = next(r for r in final["status"]["revisions"] if r["traffic_weight"] == 100)
    assert serving["release"] == final["status"]["serving_release"] and serving["created"]
    deploying = [p["activity"] for p in pushes if p["activity"]]
    assert deploying and {a["operation"] for a in deploying} == {"deploy"}
    percentages = [a["percentage"] for a in deploying]
    assert percentages == sorted(percentages) and percentages[-1] > percentages[0]
    assert all("api_key" not in (p["status"] or {}) for p in pushes), "the key is never pushed"

    # The client's unit tests read status results captured earlier (client-ts/test/fixtures/): they still have
    # every key the status operation sends today, at each level the tree reads.
    for fixture in sorted(FIXTURES.glob("status-*.json")):
        captured = json.loads(fixture.read_text())
        assert set(captured) - {"ok"} == set(final["status"]), fixture.name  # "ok": the CLI's, not the read's
        assert {k for r in captured["revisions"] for k in r} == {k for r in final["status"]["revisions"] for k in r}
        assert {k for r in captured["releases"] or [] for k in r} <= {k for r in releases for k in r}

    # The view's actions: Copy API Key puts the key on the clipboard and says so; Go to Inference Endpoint opens
    # the endpoint in the browser (this tiny app mints no sign-in ticket, so as is), never with the key in it.
    assert _as_dict(await lsp_client.protocol.send_request_async("acaInference/copyApiKey", {})) == {"ok": True}
    assert len(copied) == 1 and len(copied[0]) >= 32
    assert any("on the clipboard" in m.message for m in lsp_client.messages)
    assert _as_dict(await lsp_client.protocol.send_request_async("acaInference/openEndpoint", {})) == {"ok": True}
    opened = lsp_client.shown_documents[-1]
    assert opened.external and opened.uri.startswith(final["status"]["endpoint"]) and copied[0] not in opened.uri
    shown = "\n".join([m.message for m in lsp_client.log_messages] + [m.message for m in lsp_client.messages])
    assert copied[0] not in shown


async def test_a_watched_view_sees_a_change_made_elsewhere_and_an_unwatched_one_reads_nothing(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    root = make_workspace(tmp_path)
    provision_workspace(emulator, root, "rg-lsp-view-watch")
    assert deploy(emulator, root).returncode == 0
    pushes = _collect_pushes(lsp_client)
    await open_workspace(lsp_client, root, _settings(emulator))
    lsp_client.protocol.notify("acaInference/watchApp", {"watch": True, "everySeconds": 0.5})
    first = await _until(lambda: next((p for p in pushes if p["status"]), None))
    release_a = first["status"]["serving_release"]
    assert release_a
    probe = ArmProbe(emulator)
    mark = probe.mark()
    await lsp_client.protocol.send_request_async("acaInference/appState", {})
    # What one poll costs (README): the app, its revisions, each active one's replicas, the storage key; the
    # share's release list and each kept manifest.
    active = sum(1 for r in first["status"]["revisions"] if r["active"])
    assert len(probe.requests_since(mark)) == 2 + active + 1 + 1 + len(first["status"]["releases"])

    # The CLI deploys a change: the view, only watching, shows the new release serving.
    (root / "inference" / "changed.txt").write_text("a change\n")
    assert deploy(emulator, root).returncode == 0
    moved = await _until(lambda: next((p for p in pushes if p["status"] and p["status"]["serving_release"]
                                       not in (None, release_a)), None))
    assert [r["id"] for r in moved["status"]["releases"]][-2:][0] == release_a

    lsp_client.protocol.notify("acaInference/watchApp", {"watch": False})
    await asyncio.sleep(1.0)  # a read in flight when the view hid may finish
    probe = ArmProbe(emulator)
    mark = probe.mark()
    await asyncio.sleep(2.0)  # four poll periods
    assert probe.requests_since(mark) == [], "a hidden view polls nothing"
