"""Replays recorded Azure traffic against the local emulator, in order, and scores each answer (score.py).

- The recorded subscription, resource groups and locations are mapped onto the emulator's (each cassette gets
  groups of its own, so cassettes replay side by side); what Azure generated and the test read back
  (Log Analytics customer ids and keys, storage keys, revision names) is learned from each pair of answers and
  substituted into the requests that follow.
- A resource the test used without creating it (the suite's shared environment) is created first, unscored.
- Long-running operations: the recorded polls are not replayed; the emulator's own monitor URLs (its
  Azure-AsyncOperation / Location) are polled to the end and the outcome compared with the recorded one.
- SKIPPED lists, explicitly, the calls the product never makes and the emulator does not model.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from .cassettes import Interaction, load
from .score import Scored, Totals, error_code, key_paths

RECORDED_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
# (why, matcher on (method, host, path)): calls not replayed, counted apart.
SKIPPED: list[tuple[str, Callable[[str, str, str], bool]]] = [
    ("data plane (log stream, the app's own URL): not ARM",
     lambda method, host, path: host != "management.azure.com"),
    ("resource provider read (GET /providers/<namespace>): the CLI's api-version lookup, not modelled",
     lambda method, host, path: method == "GET" and re.fullmatch(r"/subscriptions/[^/]+/providers/[^/]+/?", path,
                                                                 re.IGNORECASE) is not None),
    ("Microsoft.Storage checkNameAvailability: subscription-level preflight, not modelled here",
     lambda method, host, path: path.lower().endswith("/checknameavailability")),
]
POLL = re.compile(r"/locations/[^/]+/(\w*operation(statuses|results)|asyncoperations)/([^/?]+)", re.IGNORECASE)
# Values Azure generates that later requests quote: learned from each pair of answers.
LEARNED_KEYS = {"customerid", "primarysharedkey", "secondarysharedkey", "latestrevisionname",
                "latestreadyrevisionname"}
POLL_LIMIT = 120.0


def emulator_location(recorded: str) -> str:
    """Azure's location as the emulator knows it ('North Central US (Stage)' -> 'northcentralus')."""
    key = re.sub(r"[\s()]", "", recorded).lower()
    return key[:-len("stage")] if key.endswith("stage") else key


class Replay:
    def __init__(self, cassette: str, endpoint: str, subscription: str, ca_path: str) -> None:
        self.cassette = cassette
        self.endpoint = endpoint.rstrip("/")
        self.subscription = subscription
        self.http = requests.Session()
        self.http.verify = ca_path
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override the emulator's CA
        self.http.headers["Authorization"] = "Bearer replay"
        self.interactions = load(cassette)
        token = uuid.uuid4().hex[:6]
        groups = {m.group(1) for i in self.interactions
                  for m in re.finditer(r"/resourcegroups/([^/?\"]+)", i.uri + (i.request_body or ""), re.IGNORECASE)}
        self.groups = {g: f"{g}-{token}" for g in sorted(groups)}
        self.learned: dict[str, str] = {}
        self.totals = Totals(cassette.removesuffix(".yaml"))

    # mapping
    def map_text(self, text: str) -> str:
        text = re.sub(RECORDED_SUBSCRIPTION, self.subscription, text, flags=re.IGNORECASE)
        for recorded, mapped in self.groups.items():
            text = re.sub(f"/resourcegroups/{re.escape(recorded)}(?=[/?\"]|$)", f"/resourceGroups/{mapped}", text,
                          flags=re.IGNORECASE)
        for recorded in sorted(self.learned, key=len, reverse=True):
            text = text.replace(recorded, self.learned[recorded])
        return text

    def map_body(self, text: str | None) -> str | None:
        if text is None:
            return None
        body = json.loads(self.map_text(text)) if text.strip() else None
        if isinstance(body, dict) and isinstance(body.get("location"), str):
            body["location"] = emulator_location(body["location"])
        return json.dumps(body) if body is not None else None

    def learn(self, recorded: Any, emulated: Any) -> None:
        if isinstance(recorded, dict) and isinstance(emulated, dict):
            for key, value in recorded.items():
                other = emulated.get(key)
                if key.lower() in LEARNED_KEYS and isinstance(value, str) and isinstance(other, str) and value \
                        and value not in self.learned:
                    self.learned[value] = other
                else:
                    self.learn(value, other)
            if "keys" in recorded and isinstance(recorded["keys"], list) and isinstance(emulated.get("keys"), list):
                for mine, theirs in zip(recorded["keys"], emulated["keys"], strict=False):
                    if isinstance(mine, dict) and isinstance(theirs, dict) and mine.get("value") \
                            and mine["value"] not in self.learned:
                        self.learned[mine["value"]] = theirs.get("value")
        elif isinstance(recorded, list) and isinstance(emulated, list):
            def created(item: Any) -> str:
                return str(item.get("properties", {}).get("createdTime", "")) if isinstance(item, dict) else ""

            mine = sorted(recorded, key=created)
            theirs = sorted(emulated, key=created)
            for a, b in zip(mine, theirs, strict=False):
                if isinstance(a, dict) and isinstance(b, dict) and str(a.get("type", "")).lower().endswith(
                        ("/revisions", "/replicas")) and a.get("name") and a["name"] not in self.learned:
                    self.learned[a["name"]] = b.get("name")
                self.learn(a, b)

    # requests
    def send(self, method: str, path_and_query: str, body: str | None) -> requests.Response:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return self.http.request(method, f"{self.endpoint}{path_and_query}", data=body, headers=headers, timeout=60)

    def prepare(self) -> None:
        """The resource groups, and the environments the test used without creating them (unscored)."""
        for mapped in self.groups.values():
            reply = self.send("PUT", f"/subscriptions/{self.subscription}/resourcegroups/{mapped}"
                                     "?api-version=2021-04-01", json.dumps({"location": "westus3"}))
            reply.raise_for_status()
        created = {i.path.lower() for i in self.interactions if i.method == "PUT"}
        done: set[str] = set()
        for interaction in self.interactions:
            path = interaction.path.lower()
            if interaction.method != "GET" or interaction.status != 200 or path in created or path in done \
                    or not re.search(r"/managedenvironments/[^/]+$", path):
                continue
            body = interaction.response_json() or {}
            profiles = [{k: p[k] for k in ("name", "workloadProfileType", "minimumCount", "maximumCount") if k in p}
                        for p in body.get("properties", {}).get("workloadProfiles") or []]
            wanted = {"location": emulator_location(body.get("location", "westus3")),
                      "properties": {"workloadProfiles": profiles} if profiles else {}}
            target = self.map_text(interaction.path)
            self.send("PUT", f"{target}?api-version=2024-03-01", json.dumps(wanted)).raise_for_status()
            deadline = time.monotonic() + POLL_LIMIT
            while self.send("GET", f"{target}?api-version=2024-03-01", None).json()["properties"][
                    "provisioningState"] != "Succeeded":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.cassette}: environment {target} did not provision")
                time.sleep(0.2)
            done.add(path)

    def skip_reason(self, interaction: Interaction) -> str | None:
        for reason, matches in SKIPPED:
            if matches(interaction.method, interaction.host, interaction.path):
                return reason
        return None

    def run(self) -> Totals:
        self.prepare()
        for interaction in self.interactions:
            reason = self.skip_reason(interaction)
            if reason:
                self.totals.skipped[reason] = self.totals.skipped.get(reason, 0) + 1
            elif interaction.method == "GET" and POLL.search(interaction.path):
                self.totals.polls_replaced += 1
            else:
                self.totals.scored.append(self.replay(interaction))
        return self.totals

    def replay(self, interaction: Interaction) -> Scored:
        query = f"?{interaction.query}" if interaction.query else ""
        reply = self.send(interaction.method, self.map_text(interaction.path) + query,
                          self.map_body(interaction.request_body))
        emulated = _json(reply)
        recorded = interaction.response_json()
        scored = Scored(self.totals.name, interaction.index, interaction.method, interaction.path,
                        interaction.status, reply.status_code, recorded_error=error_code(recorded),
                        emulator_error=error_code(emulated))
        if 200 <= interaction.status < 300 and isinstance(recorded, dict):
            scored.json_answer = True
            scored.missing_keys = sorted(key_paths(recorded) - key_paths(emulated))
            self.learn(recorded, emulated)
        monitors = {h for h in ("azure-asyncoperation", "location") if h in interaction.headers}
        if interaction.status in (201, 202) and monitors and interaction.method in ("PUT", "PATCH", "DELETE", "POST"):
            self.score_lro(interaction, monitors, reply, scored)
        return scored

    def score_lro(self, interaction: Interaction, monitors: set[str], reply: requests.Response,
                  scored: Scored) -> None:
        scored.lro = True
        mine = {h for h in ("azure-asyncoperation", "location") if h in {k.lower() for k in reply.headers}}
        scored.lro_headers_ok = mine == monitors
        scored.lro_headers = f"{sorted(mine)} (Azure {sorted(monitors)})"
        recorded_end = self.recorded_outcome(interaction)
        emulated_end = self.emulator_outcome(reply, recorded_end[1])
        scored.lro_outcome_ok = recorded_end == emulated_end
        scored.lro_outcome = f"{emulated_end} (Azure {recorded_end})"

    def recorded_outcome(self, start: Interaction) -> tuple[str, int | None]:
        """(the operation's last status, the final code of its Location poll where the test polled it)."""
        ids = {m.group(3) for h in ("azure-asyncoperation", "location") if (url := start.headers.get(h))
               and (m := POLL.search(urlsplit(url).path))}
        status, final = "Succeeded", None
        for later in self.interactions[start.index + 1:]:
            match = POLL.search(later.path)
            if later.method != "GET" or not match or match.group(3) not in ids:
                continue
            if "results" in match.group(1).lower() or match.group(1).lower() == "asyncoperations":
                final = later.status if later.status != 202 else final
            else:
                body = later.response_json() or {}
                status = str(body.get("status", status))
        return status, final

    def emulator_outcome(self, reply: requests.Response, want_final: int | None) -> tuple[str, int | None]:
        headers = {k.lower(): v for k, v in reply.headers.items()}
        status = "Succeeded" if 200 <= reply.status_code < 300 else "Failed"
        final = None
        deadline = time.monotonic() + POLL_LIMIT
        if "azure-asyncoperation" in headers:
            status = "InProgress"
            while status in ("InProgress", "Running", "Accepted") and time.monotonic() < deadline:
                poll = self.http.get(headers["azure-asyncoperation"], timeout=60)
                status = str((_json(poll) or {}).get("status", f"HTTP {poll.status_code}"))
                if status in ("InProgress", "Running", "Accepted"):
                    time.sleep(_delay(poll))
        if "location" in headers and want_final is not None:
            code = 202
            while code == 202 and time.monotonic() < deadline:
                poll = self.http.get(headers["location"], timeout=60)
                code = poll.status_code
                if code == 202:
                    time.sleep(_delay(poll))
            final = code
            if "azure-asyncoperation" not in headers:
                status = "Succeeded" if 200 <= code < 300 else "Failed"
        elif want_final is not None:
            final = reply.status_code if "location" not in headers else None
        return status, final


def _delay(reply: requests.Response) -> float:
    try:
        return min(1.0, float(reply.headers.get("Retry-After", "0.2")))
    except ValueError:
        return 0.2


def _json(reply: requests.Response) -> Any:
    try:
        return reply.json() if reply.content else None
    except ValueError:
        return None


def replay_all(names: list[str], endpoint: str, subscription: str, ca_path: str) -> list[Totals]:
    """Each cassette on its own groups, side by side (the emulator's operations take real seconds)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(names) or 1) as pool:
        futures = [pool.submit(Replay(name, endpoint, subscription, ca_path).run) for name in names]
        return [f.result() for f in futures]


def replay_recordings(names: list[str], data_dir: Any) -> list[Totals]:
    """Starts an in-process emulator (apps recorded, not run) whose every long-running operation takes about
    1.5 s - long enough to answer as Azure does (201/202 and monitor headers), short enough to replay a dozen
    cassettes in under a minute - and replays `names` against it."""
    from aca_emulator.settings import DEFAULT_DURATIONS
    from aca_emulator.testing import running_emulator

    durations = {kind: 150.0 for kind in DEFAULT_DURATIONS}
    with running_emulator(data_dir, time_scale=0.01, durations=durations, run_apps=False) as info:
        return replay_all(names, info.management_endpoint, info.subscription_id, info.ca_path)
