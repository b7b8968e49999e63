"""How a container's volume mounts (`/mount` -> the share directory) and its own network become real for a
local process.

Preferred: a private mount namespace (`unshare --user --map-root-user --mount`, no privileges needed where
unprivileged user namespaces are allowed). Inside it the process gets a new root: a tmpfs whose top-level
entries are recursive binds of the real `/`, plus the volume directories bound at their mount paths, then
`chroot`. The app sees `/mount/...` exactly as in ACA; nothing changes on the host.

Fallback (no user namespaces, or a mount path under an existing host directory): the mount path prefix is
rewritten to the share directory in the command, args and env values, and `ACA_EMULATOR_MOUNTS` lists the
mappings (`/mount=/abs/share/dir;...`). Code that hard-codes the path elsewhere will not see it then.

Network: where the namespaces allow it (`--net` too), each container gets its own network namespace, as each
ACA replica has its own IP: its loopback is brought up and a relay (relay.py) started inside, serving a Unix
socket through which the emulator's ingress and probes reach whatever port the app binds. Without network
namespaces the container shares the host's network (network.py, HostNetwork).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .network import RELAY_SCRIPT

NAMESPACE_SCRIPT = r"""
set -e
R="$1"; W="$2"; N="$3"; SOCK="$4"; PY="$5"; RELAY="$6"; shift 6
if [ -n "$SOCK" ]; then
  # Own network namespace: the relay brings loopback up and serves the emulator's Unix socket; the container
  # starts once the socket is there (its ports are then reachable from the first probe on).
  "$PY" -I -S "$RELAY" "$SOCK" "$$" </dev/null >>"$SOCK.log" 2>&1 &
  t=0
  while [ ! -S "$SOCK" ]; do
    t=$((t+1)); if [ "$t" -gt 1000 ]; then echo "the network relay did not start; see $SOCK.log" >&2; exit 1; fi
    sleep 0.01
  done
fi
if [ "$N" -eq 0 ]; then cd "$W"; exec "$@"; fi
mount -t tmpfs -o mode=755 aca-root "$R"
for e in /* /.[!.]*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  n="${e#/}"
  if [ -L "$e" ]; then cp -P "$e" "$R/$n"
  elif [ -d "$e" ]; then mkdir "$R/$n"; mount --rbind "$e" "$R/$n"
  else touch "$R/$n"; mount --bind "$e" "$R/$n"; fi
done
i=0
while [ "$i" -lt "$N" ]; do
  T="$1"; S="$2"; shift 2; i=$((i+1))
  mkdir -p "$R$T"; mount --bind "$S" "$R$T"
done
cd /
exec chroot "$R" /bin/bash -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "$W" "$@"
"""


@dataclass(frozen=True)
class Mount:
    path: str  # inside the container, e.g. /mount
    source: Path  # on the host


_unshare_ok: dict[tuple[str, ...], bool] = {}


async def _unshare_works(*flags: str) -> bool:
    if flags not in _unshare_ok:
        forced = os.environ.get("ACA_EMULATOR_SANDBOX", "").lower()
        if forced in ("none", "rewrite") or shutil.which("unshare") is None or shutil.which("chroot") is None:
            _unshare_ok[flags] = False
        else:
            try:
                process = await asyncio.create_subprocess_exec(
                    "unshare", "--user", "--map-root-user", *flags, "true",
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                _unshare_ok[flags] = await process.wait() == 0
            except OSError:
                _unshare_ok[flags] = False
    return _unshare_ok[flags]


async def namespaces_available() -> bool:
    """User + mount namespaces: volume mounts at their real paths."""
    return await _unshare_works("--mount")


async def network_namespaces_available() -> bool:
    """User + mount + network namespaces: each replica its own loopback and ports."""
    return await _unshare_works("--mount", "--net")


def _bindable(mount: Mount) -> bool:
    """A mount path can be bound in the private root if its top-level directory is new there, or it exists."""
    parts = Path(mount.path).parts
    return len(parts) >= 2 and (not Path("/", parts[1]).exists() or Path(mount.path).is_dir())


def _rewrite(value: str, mounts: list[Mount]) -> str:
    for mount in sorted(mounts, key=lambda m: len(m.path), reverse=True):
        prefix = mount.path.rstrip("/")
        value = value.replace(prefix + "/", str(mount.source) + "/")
        if value == prefix or value.endswith(" " + prefix):
            value = value[: -len(prefix)] + str(mount.source)
        value = value.replace(prefix + " ", str(mount.source) + " ").replace(prefix + '"', str(mount.source) + '"')
    return value


def wrap(argv: list[str], env: dict[str, str], mounts: list[Mount], *, workdir: Path, root_dir: Path,
         namespaces: bool, relay_socket: Path | None = None) -> tuple[list[str], dict[str, str], str]:
    """The argv/env to spawn and how mounts are provided ('namespace' | 'rewrite' | 'none'). With
    `relay_socket` (network namespaces available), the container also gets its own network namespace."""
    bound = [m for m in mounts if namespaces and _bindable(m)]
    rewritten = [m for m in mounts if m not in bound]
    mode = "none" if not mounts else "namespace" if bound else "rewrite"
    if rewritten:
        argv = [_rewrite(a, rewritten) for a in argv]
        env = {k: _rewrite(v, rewritten) for k, v in env.items()}
        env["ACA_EMULATOR_MOUNTS"] = ";".join(f"{m.path}={m.source}" for m in rewritten)
        if bound:
            mode = "namespace+rewrite"
    if not bound and relay_socket is None:
        return argv, env, mode
    if bound:
        root_dir.mkdir(parents=True, exist_ok=True)
    spec: list[str] = []
    for mount in bound:
        spec += [mount.path, str(mount.source)]
    flags = ["--mount", "--net"] if relay_socket is not None else ["--mount"]
    wrapped = ["unshare", "--user", "--map-root-user", *flags, "/bin/bash", "-c", NAMESPACE_SCRIPT, "aca-sandbox",
               str(root_dir), str(workdir), str(len(bound)), str(relay_socket or ""), sys.executable,
               str(RELAY_SCRIPT), *spec, *argv]
    return wrapped, env, mode
