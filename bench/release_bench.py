"""Releases (issue 11) against today's in-place deploy, on the local emulator (its own process, loopback HTTPS).

(a) Redeploy with ONE changed file among 1,000 small files (source-like, 0.5-16 KiB, nested folders): requests
    sent (every attempt, counted in the client's pipeline), bytes uploaded (request bodies) and seconds, for
      (i)   the in-place sync (`sync_to_share`: the baseline, what deploy does today for an app without launcher);
      (ii)  a release as a new folder of full copies: every unchanged file copied within the share by server-side
            Copy File (`start_copy_from_url`), the changed one uploaded (written here only, to compare);
      (iii) our content-addressed release (`prepare_release` + `publish_release`).
    Measured on this project's 2-core machine (2026-12-05, main at 551681c): (i) 4 requests, 305 KB (the changed
    file and the in-place manifest, written twice), 0.054 s; (ii) 1,166 requests (1,000 copies, 161 folders, the
    upload and the manifest), 161 KB, 2.57 s; (iii) 6 requests, 161 KB (the new content and the release manifest),
    0.120 s (0.031 s scan and hashes, 0.089 s publish). A release of full copies costs a request per file and per
    folder on every deploy - 194x (iii)'s requests, 21x its time, and it grows with the app - while the
    content-addressed store sends only the contents the share lacks plus one manifest, two requests more than the
    in-place sync. That is why releases are content-addressed. (Other runs: (ii) 2.1-4.3 s, (iii) 0.19-0.55 s with
    the machine's load between 0.07 and 4; the requests and bytes were always the same.)
(b) Time from deploy start (the CLI process) until the endpoint serves the new content: a release deploy (traffic
    switched; also its `switch_seconds`) vs an in-place deploy of the same tiny app (restart to ready), N runs each,
    alternating.
(c) Endpoint unavailability during those deploys: a client calls the endpoint every 50 ms (a new connection each
    time) from deploy start until the deploy has finished; seconds from a failed request to the next answered one.

    python bench/release_bench.py [--runs 5] [--files 1000]

Prints the table, writes bench/results/release_bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "server"), str(REPO)]

from tests.conftest import last_json  # noqa: E402
from tests.deploy.conftest import deploy, make_workspace, provision_workspace  # noqa: E402
from tests.deploy.in_place import make_in_place_workspace  # noqa: E402
from tests.hardening.campaign import EndpointPoller  # noqa: E402
from tests.sync.files_endpoint import FilesEndpoint, create_account  # noqa: E402

from aca_emulator import control  # noqa: E402
from results_file import save_result  # noqa: E402


# -- (a) one changed file ---------------------------------------------------------------------------------------
class RequestCounter:
    """A pipeline policy placed after the retry policy: every attempt sent, and its body's bytes."""

    def __init__(self) -> None:
        from azure.core.pipeline.policies import SansIOHTTPPolicy

        counter = self

        class Counting(SansIOHTTPPolicy):  # type: ignore[type-arg]
            def on_request(self, request: Any) -> None:
                body = request.http_request.body
                counter.requests += 1
                counter.bytes += len(body) if isinstance(body, bytes | bytearray) else int(
                    request.http_request.headers.get("Content-Length") or 0)

        self.policy = Counting()
        self.requests = 0
        self.bytes = 0

    def reset(self) -> None:
        self.requests = self.bytes = 0


def make_small_tree(root: Path, files: int) -> Path:
    rng = random.Random(1234)
    for i in range(files):
        path = root / "inference" / f"pkg{i % 20:02d}" / f"sub{i % 7}" / f"module_{i:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(512, 16 * 1024)))
    stamp = time.time_ns() - 60 * 10**9  # old enough that the hash cache trusts them
    for path in (root / "inference").rglob("*"):
        os.utime(path, ns=(stamp, stamp))
    return root / "inference" / "pkg03" / "sub3" / "module_0003.py"


async def copy_release(share: Any, prepared: Any, previous: tuple[str, Any] | None, folder: str) -> None:
    """(ii): the release as a folder of full copies. Unchanged files: server-side Copy File from the previous
    release's folder (one request each, waiting for a pending copy as the service may answer 'pending'); changed
    ones uploaded; then its manifest. Folders are created first (Azure Files has no implicit folders)."""
    import anyio
    from azure.core.exceptions import ResourceExistsError

    files = prepared.manifest.files
    paths = [f"{folder}/{p}" for p in files]
    for path in sorted({"/".join(p.split("/")[:depth]) for p in paths for depth in range(1, p.count("/") + 1)}):
        with contextlib.suppress(ResourceExistsError):  # `releases` itself, from the first release
            await share.create_directory(path)
    limit = anyio.Semaphore(16)

    async def place(path: str) -> None:
        async with limit:
            target = share.get_file_client(f"{folder}/{path}")
            old = previous[1].manifest.files.get(path) if previous else None
            if previous is not None and old is not None and old.sha256 == files[path].sha256:
                source = share.get_file_client(f"{previous[0]}/{path}")
                copy = await target.start_copy_from_url(source.url)
                while copy.get("copy_status") == "pending":
                    await anyio.sleep(0.05)
                    copy = {"copy_status": (await target.get_file_properties()).copy.status}
            else:
                await target.upload_file((prepared.root / path).read_bytes())

    async with anyio.create_task_group() as group:
        for path in files:
            group.start_soon(place, path)
    await share.get_file_client(f"{folder}/release.json").upload_file(prepared.manifest.to_bytes())


async def one_changed_file(account: FilesEndpoint, temp: Path, files: int) -> dict[str, Any]:
    from azure.storage.fileshare.aio import ShareClient

    from aca_inference.sync import share_client_options, sync_to_share
    from aca_inference.sync.releases import prepare_release, publish_release

    root = temp / "ws"
    changed = make_small_tree(root, files)
    counter = RequestCounter()
    results: dict[str, Any] = {"files": files, "bytes": sum(p.stat().st_size for p in root.rglob("*") if p.is_file())}

    async def measure(name: str, first: Callable[[Any], Coroutine[Any, Any, Any]],
                      again: Callable[[Any], Coroutine[Any, Any, Any]]) -> None:
        options = share_client_options(connection_verify=account.ca_path)
        async with ShareClient(account.account_url, name.replace("_", "-"), credential=account.credential,
                               _additional_pipeline_policies=[counter.policy], **options) as share:
            await share.create_share()
            await first(share)  # the first deploy: everything goes up (not measured)
            changed.write_bytes(changed.read_bytes()[::-1] + f"# changed for {name}\n".encode())
            await share.get_share_properties()  # a warm connection: the timer sees the redeploy only
            counter.reset()
            started = time.perf_counter()
            await again(share)
            results[name] = {"requests": counter.requests, "bytes_uploaded": counter.bytes,
                             "seconds": round(time.perf_counter() - started, 3)}

    async def in_place(share: Any) -> None:
        await sync_to_share(share, root, cache_dir=temp / "cache-in-place")

    split: dict[str, float] = {}

    async def content_addressed(share: Any) -> None:
        started = time.perf_counter()
        prepared = await prepare_release(root, include=["inference"], cache_dir=temp / "cache-release")
        split["prepare_seconds"] = round(time.perf_counter() - started, 3)  # scan + hashes (cached): no request
        published = await publish_release(share, prepared)
        split["publish_seconds"] = round(published.seconds, 3)

    copies: list[tuple[str, Any]] = []  # (folder, prepared release), oldest first

    async def copied(share: Any) -> None:
        prepared = await prepare_release(root, include=["inference"], cache_dir=temp / "cache-copy")
        folder = f"releases/{len(copies)}"
        await copy_release(share, prepared, copies[-1] if copies else None, folder)
        copies.append((folder, prepared))

    await measure("in_place", in_place, in_place)
    await measure("copy_file_release", copied, copied)
    await measure("content_addressed_release", content_addressed, content_addressed)
    results["content_addressed_release"].update(split)
    return results


# -- (b), (c): deploys of the tiny app --------------------------------------------------------------------------
def timed_deploy(info: Any, root: Path, endpoint: str, message: str) -> dict[str, Any]:
    """One deploy of a new message.txt, the endpoint polled every 50 ms from the deploy's start to its end."""
    (root / "inference" / "message.txt").write_text(message)
    with EndpointPoller(endpoint + "/", timeout=10) as polls:
        started = time.monotonic()
        run = deploy(info, root)
        wall = time.monotonic() - started
        time.sleep(0.2)
    if run.returncode:
        raise RuntimeError(f"deploy failed:\n{run.stderr[-3000:]}")
    result = last_json(run.stdout)
    new = next((p for p in polls.polls if p.body == message.encode()), None)
    return {"action": result["action"], "zero_downtime": result.get("zero_downtime"),
            "serving_new_after_s": round(new.sent - started, 3) if new else None, "deploy_wall_s": round(wall, 3),
            "switch_seconds": result.get("switch_seconds"), "ready_seconds": result.get("ready_seconds"),
            "requests": len(polls.polls), "failed_requests": len(polls.errors),
            "unavailable_s": round(polls.unavailable_seconds(), 3), "held_s": round(polls.held_seconds(0.5), 3),
            "slowest_answer_s": round(max((p.seconds for p in polls.polls if p.body is not None), default=0), 3)}


def deploys(info: Any, temp: Path, runs: int) -> dict[str, list[dict[str, Any]]]:
    workspaces = {"release": make_workspace(temp / "release-ws"),
                  "in_place": make_in_place_workspace(temp / "in-place-ws")}
    endpoints = {}
    for kind, root in workspaces.items():
        config = provision_workspace(info, root, f"rg-bench-{kind.replace('_', '-')}")
        endpoints[kind] = config["ACA_APP_ENDPOINT"]
        timed_deploy(info, root, endpoints[kind], f"{kind} first\n")  # the app exists and runs
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in workspaces}
    for run in range(runs):  # alternating, so a change in the machine's load touches both alike
        for kind, root in workspaces.items():
            found[kind].append(timed_deploy(info, root, endpoints[kind], f"{kind} run {run}\n"))
    assert all(r["action"] == "released" and r["zero_downtime"] for r in found["release"]), found["release"]
    assert all(r["action"] in ("restarted", "updated") for r in found["in_place"]), found["in_place"]
    return found


def median(rows: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(float(r[key]) for r in rows if r[key] is not None), 3)


def report(result: dict[str, Any]) -> None:
    a = result["one_changed_file"]
    base = a["in_place"]
    print(f"(a) redeploy, one changed file among {a['files']:,} small files ({a['bytes'] / 1e6:.1f} MB)")
    for name, label in (("in_place", "(i) in-place sync (baseline)"),
                        ("copy_file_release", "(ii) release by server-side Copy File"),
                        ("content_addressed_release", "(iii) content-addressed release (ours)")):
        row = a[name]
        print(f"    {label:<40} {row['requests']:>6} requests {row['bytes_uploaded'] / 1e3:>9.1f} KB "
              f"{row['seconds']:>7.3f} s   x{row['requests'] / base['requests']:.1f} requests, "
              f"x{row['seconds'] / base['seconds']:.1f} time vs (i)")
    ours, copied = a["content_addressed_release"], a["copy_file_release"]
    print(f"    (iii) of which: scan + hashes {ours['prepare_seconds']:.3f} s (no request), publish "
          f"{ours['publish_seconds']:.3f} s")
    print(f"    (ii) / (iii): {copied['requests'] / ours['requests']:.0f}x the requests, "
          f"{copied['seconds'] / ours['seconds']:.0f}x the time")
    release, in_place = result["deploys"]["release"], result["deploys"]["in_place"]
    print(f"(b) deploy start -> new code serving (median of {len(release)} deploys each, alternating; tiny app)")
    print(f"    release: first answer with the new content {median(release, 'serving_new_after_s'):>6.2f} s "
          f"(switch_seconds {median(release, 'switch_seconds'):.2f} s from the rollout's start; the deploy ends "
          f"{median(release, 'deploy_wall_s'):.2f} s after its start, with the 0.5 s drain)")
    print(f"    in place: deploy returned, app ready    {median(in_place, 'deploy_wall_s'):>6.2f} s "
          f"(ready_seconds {median(in_place, 'ready_seconds'):.2f} s from the restart)")
    print("(c) the endpoint during a deploy (polled every 50 ms, a new connection each)")
    for label, rows in (("release", release), ("in place (restart)", in_place)):
        print(f"    {label:<19} failing {sum(r['unavailable_s'] for r in rows) / len(rows):.2f} s per deploy "
              f"({sum(r['failed_requests'] for r in rows)} failed of {sum(r['requests'] for r in rows)}); held by "
              f"the ingress > 0.5 s: {sum(r['held_s'] for r in rows) / len(rows):.2f} s per deploy; slowest answer "
              f"{max(r['slowest_answer_s'] for r in rows):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--time-scale", type=float, default=0.01, help="the emulator's simulated durations")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aca-release-bench-") as temp_name:
        temp = Path(temp_name)
        os.environ["ACA_INFERENCE_HOME"] = str(temp / "home")  # the CLI's caches and lock stay in here
        data_dir = temp / "emulator"
        info = control.start_background(data_dir, time_scale=args.time_scale)
        try:
            result: dict[str, Any] = {"load_average_before": os.getloadavg(), "time_scale": args.time_scale}
            result["one_changed_file"] = asyncio.run(one_changed_file(create_account(info), temp, args.files))
            result["deploys"] = deploys(info, temp, args.runs)
            result["load_average_after"] = os.getloadavg()
        finally:
            control.stop(data_dir)
    report(result)
    save_result("release_bench", result)


if __name__ == "__main__":
    main()
