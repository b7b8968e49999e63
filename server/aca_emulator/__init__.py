"""The local Azure: ARM + Azure Files over HTTPS on loopback, container apps as local processes.

A package of its own: it never imports `aca_inference` (tests/test_import_graph.py); the product starts it
through `aca_inference/azure/local_emulator.py` only. `python -m aca_emulator serve` (or `aca-emulator serve`).

Layout (one folder per emulated service, handlers apart from persistence, as Azurite does):
- `server.py`  the two HTTPS servers (management: ARM, log stream, /_emulator admin; files: `files/`),
  `tls.py` (local CA in `<data_dir>/tls/ca.pem`), `store.py` (SQLite `<data_dir>/state.sqlite`),
  `middleware.py` (request log + fault injection on both ports), `admin.py`, `settings.py`.
- `resource_types.py`  the one table of resource types and api-versions. Azure's naming rules come from the
  leaf package `azure_name_rules`, which the product shares.
- `arm/`  one module per provider on one tracked-resource base (`tracked.py`: find, get, list, delete, the
  finish of long-running operations); handlers get a narrow `ArmContext`, never the whole emulator, and
  persist only through `store.py` and the Files side's `files/store.py` (share folders);
  `operations.py` is the long-running-operation timing design.
- `runtime/`  revisions -> replicas -> supervised processes, probes, /mount, per-app venv, console logs
  (`runtime.py`: the Runtime, given a `RuntimeHost`).
- `control.py` (background service), `testing.py` (in-process, for tests), `__main__.py` (`serve`).

Management auth: any `Authorization: Bearer <non-empty token>` is accepted. Admin routes (no auth):
GET /_emulator/health; POST /_emulator/faults {path (regex on path+query), status 429|500|502|503|504|null,
rate, method, port "management"|"files", count, retry_after, latency_ms, drop "before"|"mid-body"} -> {id};
GET/DELETE /_emulator/faults[/{id}]; GET /_emulator/requests?since=N -> {requests: [{seq, port, method, path,
query, status, duration_ms, fault}], last}; POST /_emulator/requests/reset; GET/POST /_emulator/durations
({kind: real seconds}); GET/POST /_emulator/time-scale {time_scale}; GET /_emulator/apps.
"""
