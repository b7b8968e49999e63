"""What scripts/azure-smoke.sh needs beyond the CLI, standard library and the SDKs already installed.

  field FILE KEY          the KEY of the JSON object on FILE's last line (the CLI's --json result); nothing printed
                          for a missing key. Never used on a result that carries the API key.
  api-key                 the api_key of `status --show-api-key --json` read on stdin: printed only to be captured
                          into a shell variable, never to the terminal.
  set-param FILE NAME VALUE   set parameters.NAME.value in an ARM parameters file (VALUE as JSON, else a string)
  chat ENDPOINT           one chat completion through the OpenAI-compatible API (key: $SMOKE_API_KEY), retried
                          while the endpoint cold-starts; prints the model and the answer's length, never the key
  subscription-id SUB     the id of the subscription named SUB (an id or a display name) the credential can use
  group-exists SUB NAME   exit 0 when the resource group exists (azure target)
  delete-group SUB NAME   delete the resource group and everything in it, waiting until Azure says it is gone
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def _last_json(path: str) -> dict[str, Any]:
    lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
    result = json.loads(lines[-1]) if lines else {}
    return result if isinstance(result, dict) else {}


def field(path: str, key: str) -> None:
    value = _last_json(path).get(key)
    if value is not None:
        print(value if isinstance(value, str) else json.dumps(value))


def api_key() -> None:
    lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
    result = json.loads(lines[-1]) if lines else {}
    print(result.get("api_key") or "" if isinstance(result, dict) else "")


def set_param(path: str, name: str, raw: str) -> None:
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    file = Path(path)
    document = json.loads(file.read_text())
    document.setdefault("parameters", {})[name] = {"value": value}
    file.write_text(json.dumps(document, indent=2) + "\n")


def _call(url: str, key: str, body: dict[str, Any] | None = None, timeout: float = 120) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=timeout, context=ssl.create_default_context()) as answer:
        return json.loads(answer.read())


def chat(endpoint: str) -> None:
    key = os.environ.get("SMOKE_API_KEY", "")
    base = endpoint.rstrip("/")
    deadline = time.monotonic() + float(os.environ.get("SMOKE_CHAT_TIMEOUT", "900"))
    while True:
        try:
            model = _call(f"{base}/v1/models", key)["data"][0]["id"]
            answer = _call(f"{base}/v1/chat/completions", key, {
                "model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "Say hello."}]})
            text = answer["choices"][0]["message"]["content"] or ""
            print(f"chat completion from model {model}: {len(text)} characters, finish_reason "
                  f"{answer['choices'][0].get('finish_reason')}")
            return
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                sys.exit(f"The endpoint refused the API key ({error.code}).")
            problem = f"HTTP {error.code}"
            if error.code < 500 and error.code != 429:
                sys.exit(f"The chat completion failed: {problem}.")
        except (urllib.error.URLError, TimeoutError, ConnectionError, KeyError, IndexError) as error:
            problem = type(error).__name__
        if time.monotonic() > deadline:
            sys.exit(f"The endpoint did not answer a chat completion in time (last: {problem}).")
        time.sleep(5)  # a cold start (scale from zero, model load) answers 5xx or holds the connection


def _resources(subscription: str) -> Any:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.resource import ResourceManagementClient

    return ResourceManagementClient(DefaultAzureCredential(), subscription)


def subscription_id(wanted: str) -> None:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    found = [s for s in SubscriptionClient(DefaultAzureCredential()).subscriptions.list()
             if wanted.lower() in (str(s.subscription_id).lower(), str(s.display_name).lower())]
    if len(found) != 1:
        sys.exit(f"Subscription '{wanted}' is {'ambiguous' if found else 'not one this sign-in can use'}: pass its id.")
    print(found[0].subscription_id)


def group_exists(subscription: str, name: str) -> None:
    sys.exit(0 if _resources(subscription).resource_groups.check_existence(name) else 1)


def delete_group(subscription: str, name: str) -> None:
    client = _resources(subscription)
    if not client.resource_groups.check_existence(name):
        print(f"Resource group {name} does not exist: nothing to delete.")
        return
    client.resource_groups.begin_delete(name).result()
    print(f"Deleted resource group {name} and everything in it.")


COMMANDS = {"field": field, "api-key": api_key, "set-param": set_param, "chat": chat,
            "subscription-id": subscription_id, "group-exists": group_exists, "delete-group": delete_group}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
