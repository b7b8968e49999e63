"""Container apps, revisions and releases as the in-process tests need them, with a loopback endpoint for the
readiness wait to reach."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from aca_inference.azure.container_apps import ContainerApp, Revision
from aca_inference.ops.context import OperationContext
from aca_inference.sync.releases import LAUNCHER_PATH, RELEASE_ENV, ReleaseManifest
from aca_inference.sync.releases.layout import ReleaseFile
from tests.fakes.reporter import RecordingReporter

RELEASE_A = "20260101-120000-aaaaaaa"
RELEASE_B = "20260102-120000-bbbbbbb"
RELEASE_C = "20260103-120000-ccccccc"


def launcher_template(release: str | None = None, *, max_replicas: int = 1, min_replicas: int = 1,
                      launcher: bool = True) -> dict[str, Any]:
    command = ["python3", LAUNCHER_PATH] if launcher else ["python3", "/mount/inference/app.py"]
    env = [{"name": RELEASE_ENV, "value": release}] if release else []
    return {"containers": [{"name": "inference", "image": "python:3.12-slim", "command": command, "env": env}],
            "scale": {"minReplicas": min_replicas, "maxReplicas": max_replicas}}


def app(*, mode: str = "Multiple", template: dict[str, Any] | None = None, fqdn: str = "app.fake.example",
        profile: str | None = "gpu", latest_revision: str | None = None) -> ContainerApp:
    return ContainerApp(name="app", location="westus3", id="/subscriptions/s/resourceGroups/rg-fake/providers/"
                        "Microsoft.App/containerApps/app", revisions_mode=mode, fqdn=fqdn,
                        environment_id="/subscriptions/s/resourceGroups/rg-fake/providers/Microsoft.App/"
                                       "managedEnvironments/env",
                        workload_profile_name=profile, latest_revision_name=latest_revision, template=template or launcher_template(),
                        configuration={"activeRevisionsMode": mode, "ingress": {"fqdn": fqdn, "targetPort": 8000}})


def revision(name: str, release: str | None, *, active: bool = True, traffic: int = 0, created: str = "",
             fqdn: str | None = None, running_state: str = "Running", replicas: int = 0) -> Revision:
    return Revision(f"app--{name}", active=active, traffic_weight=traffic, created=created or name,
                    fqdn=fqdn, running_state=running_state if active else "Deactivated", health_state="Healthy",
                    replicas=replicas, template=launcher_template(release))


def manifest(release: str, files: dict[str, str] | None = None) -> ReleaseManifest:
    """A release whose files hold `files` (path -> content digest)."""
    return ReleaseManifest(id=release, created=f"{release[:4]}-{release[4:6]}-{release[6:8]}T12:00:00+00:00",
                           folders=["inference"],
                           files={path: ReleaseFile(sha256=digest, size=10)
                                  for path, digest in (files or {"inference/app.py": "0" * 64}).items()})


def context(root: Path, reporter: RecordingReporter | None = None) -> OperationContext:
    return OperationContext(root=root, reporter=reporter or RecordingReporter(), readiness_timeout=5.0,
                            drain_seconds=0.0)


@asynccontextmanager
async def answering_endpoint(status: int = 200, by_path: dict[str, int] | None = None) -> AsyncIterator[str]:
    """A loopback HTTP server answering a GET with its path's status in `by_path`, else `status`; yields its
    host:port (an FQDN as ACA gives)."""
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=(by_path or {}).get(request.path, status), text="ok")

    server = web.Application()
    server.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await runner.cleanup()
