"""Container Apps scaling in the emulator, measured through the official azure-mgmt-appcontainers client:

1. scale to zero: a small app with minReplicas 0 - last request -> replica gone (the scaled cooldown) -> the first
   request after it, answered once a replica started (the cold start the ingress holds the request through);
2. two replicas: 100 requests, one connection each, counted per replica that answered;
3. scale out: 4 concurrent slow requests with concurrentRequests 1, maxReplicas 3 - the most replicas seen;
4. Multiple revision mode: a client calling the endpoint every 50 ms while one PATCH moves 100% of the traffic
   from revision one to revision two - answers per revision and errors.

    python bench/scaling_bench.py [--time-scale 0.01]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessToken
from azure.mgmt.appcontainers import ContainerAppsAPIClient

from aca_emulator.testing import running_emulator
from results_file import save_result

APP = '''
import json, os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(2)
        body = json.dumps({"replica": os.environ["CONTAINER_APP_REPLICA_NAME"],
                           "revision": os.environ["CONTAINER_APP_REVISION"]}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
'''
GROUP = "rg-scaling"


class StaticToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("local-bench-token", int(time.time()) + 3600)


def ask(fqdn: str, path: str = "/") -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{fqdn}{path}", timeout=60) as response:
        return dict(json.loads(response.read()))


def wait_for(predicate: Any, timeout: float = 60, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {predicate}")
        time.sleep(interval)
    return value


class Bench:
    def __init__(self, info: Any) -> None:
        self.client = ContainerAppsAPIClient(StaticToken(), info.subscription_id, base_url=info.management_endpoint,
                                             connection_verify=info.ca_path, retry_total=0,
                                             credential_scopes=[f"{info.management_endpoint}/.default"])
        from azure.mgmt.resource.resources import ResourceManagementClient

        ResourceManagementClient(StaticToken(), info.subscription_id, base_url=info.management_endpoint,
                                 connection_verify=info.ca_path,
                                 credential_scopes=[f"{info.management_endpoint}/.default"]
                                 ).resource_groups.create_or_update(GROUP, {"location": "westus3"})
        environment = self.client.managed_environments.begin_create_or_update(GROUP, "env-scaling", {
            "location": "westus3", "properties": {"workloadProfiles": [
                {"name": "Consumption", "workloadProfileType": "Consumption"}]}}).result()
        self.env_id = environment.id

    def create(self, name: str, scale: dict[str, Any], *, suffix: str | None = None, mode: str = "Single",
               traffic: list[dict[str, Any]] | None = None) -> Any:
        ingress: dict[str, Any] = {"external": True, "targetPort": 8080}
        if traffic is not None:
            ingress["traffic"] = traffic
        template: dict[str, Any] = {"containers": [{"name": "main", "image": "python:3", "command": ["python3", "-c", APP],
                                                    "resources": {"cpu": 0.5, "memory": "1Gi"}}], "scale": scale}
        if suffix:
            template["revisionSuffix"] = suffix
        app = self.client.container_apps.begin_create_or_update(GROUP, name, {"location": "westus3", "properties": {
            "environmentId": self.env_id, "configuration": {"activeRevisionsMode": mode, "ingress": ingress},
            "template": template}}).result()
        wait_for(lambda: self.client.container_apps_revisions.get_revision(
            GROUP, name, app.latest_revision_name).running_state == "Running")
        return app

    def replicas(self, app: str, revision: str) -> list[str]:
        return [r.name for r in self.client.container_apps_revision_replicas.list_replicas(GROUP, app, revision).value]

    def scale_to_zero(self, cooldown_s: float) -> dict[str, Any]:
        app = self.create("idle", {"minReplicas": 0, "maxReplicas": 1})
        fqdn, revision = app.configuration.ingress.fqdn, app.latest_revision_name
        warm = []
        for _ in range(10):
            started = time.perf_counter()
            ask(fqdn)
            warm.append(time.perf_counter() - started)
        last_request = time.monotonic()
        wait_for(lambda: not self.replicas("idle", revision), timeout=cooldown_s * 3 + 30)
        idle_to_zero = time.monotonic() - last_request
        state = self.client.container_apps_revisions.get_revision(GROUP, "idle", revision)
        started = time.perf_counter()
        ask(fqdn)
        cold = time.perf_counter() - started
        return {"cooldown_scaled_s": round(cooldown_s, 3), "idle_to_zero_s": round(idle_to_zero, 3),
                "at_zero": {"replicas": state.replicas, "runningState": state.running_state},
                "cold_start_first_request_s": round(cold, 3),
                "warm_request_median_ms": round(statistics.median(warm) * 1000, 2)}

    def two_replicas(self, requests: int) -> dict[str, Any]:
        app = self.create("pair", {"minReplicas": 2, "maxReplicas": 2})
        wait_for(lambda: len(self.replicas("pair", app.latest_revision_name)) == 2)
        time.sleep(0.5)
        counts = Counter(ask(app.configuration.ingress.fqdn)["replica"] for _ in range(requests))
        return {"requests": requests, "per_replica": dict(counts)}

    def scale_out(self) -> dict[str, Any]:
        rule = {"name": "http", "http": {"metadata": {"concurrentRequests": "1"}}}
        app = self.create("burst", {"minReplicas": 1, "maxReplicas": 3, "rules": [rule]})
        seen: list[int] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                seen.append(len(self.replicas("burst", app.latest_revision_name)))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: ask(app.configuration.ingress.fqdn, "/slow"), range(4)))
        elapsed = time.perf_counter() - started
        done.set()
        watcher.join()
        return {"concurrent_requests": 4, "concurrency_per_replica": 1, "max_replicas": 3,
                "most_replicas_seen": max(seen), "all_answered_s": round(elapsed, 3)}

    def traffic_switch(self) -> dict[str, Any]:
        app = self.create("multi", {"minReplicas": 1, "maxReplicas": 1}, suffix="one", mode="Multiple")
        one = app.latest_revision_name
        self.create("multi", {"minReplicas": 1, "maxReplicas": 2}, suffix="two", mode="Multiple",
                    traffic=[{"revisionName": one, "weight": 100}])
        answers: list[str] = []
        errors: list[str] = []
        stop = threading.Event()

        def caller() -> None:
            while not stop.is_set():
                try:
                    answers.append(ask(app.configuration.ingress.fqdn)["revision"])
                except (OSError, ValueError) as exc:
                    errors.append(repr(exc))
                time.sleep(0.05)

        thread = threading.Thread(target=caller)
        thread.start()
        time.sleep(1.0)
        started = time.perf_counter()
        self.client.container_apps.begin_update(GROUP, "multi", {"properties": {"configuration": {"ingress": {
            "traffic": [{"revisionName": one, "weight": 0}, {"latestRevision": True, "weight": 100}]}}}}).result()
        switched = time.perf_counter() - started
        time.sleep(1.0)
        stop.set()
        thread.join()
        return {"requests": len(answers), "errors": len(errors), "per_revision": dict(Counter(answers)),
                "patch_s": round(switched, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-scale", type=float, default=0.01)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp, \
            running_emulator(Path(temp), time_scale=args.time_scale, scale_in_floor=0.0) as info:
        bench = Bench(info)
        result = {"time_scale": args.time_scale,
                  "scale_to_zero": bench.scale_to_zero(300 * args.time_scale),
                  "two_replicas": bench.two_replicas(100),
                  "scale_out": bench.scale_out(),
                  "traffic_switch": bench.traffic_switch()}
    zero, pair = result["scale_to_zero"], result["two_replicas"]
    print(f"scale to zero (cooldown 300 s x {args.time_scale} = {zero['cooldown_scaled_s']} s): idle -> zero "
          f"{zero['idle_to_zero_s']} s, then the first request answered in {zero['cold_start_first_request_s']} s "
          f"(warm requests: median {zero['warm_request_median_ms']} ms)")
    print(f"two replicas, {pair['requests']} requests: {pair['per_replica']}")
    print(f"scale out: {result['scale_out']}")
    print(f"traffic switch: {result['traffic_switch']}")
    save_result("scaling", result)


if __name__ == "__main__":
    main()
