"""Azure Files data plane of the local emulator (one folder per emulated service, as Azurite does).

`create_files_app(account_keys=..., shares_root=...)` returns the aiohttp application the emulator serves on
its files port. Layout: `app` (URLs, dispatch, error XML) -> `auth` + `sas` (SharedKey, SAS: who may ask) ->
`routes` (which handler, what a SAS must grant) -> `*_handlers` and the small feature modules (one per
concern: shares, directories, files, rename, copy, range list, permissions, share policies, service
properties, handles, leases; the wire format) -> `store` (shares as plain directories), `moves` (rename/copy on
disk), `extents` (data ranges of sparse files) + `properties` (SQLite beside them).

Not emulated: share snapshots (and range diffs against them), soft delete (undelete), NFS-only
operations (hard/symbolic links), user delegation SAS, CORS enforcement and metrics collection.
"""

from .app import create_files_app

__all__ = ["create_files_app"]
