"""How a container's volume mounts (`/mount` -> the share directory) become real for a local process.

Preferred: a private mount namespace (`unshare --user --map-root-user --mount`, no privileges needed where
unprivileged user namespaces are allowed). Inside it the process gets a new root: a tmpfs whose top-level
entries are recursive binds of the real `/`, plus the volume directories bound at their mount paths, then
`chroot`. The app sees `/mount/...` exactly as in ACA; nothing changes on the host.

Fallback (no user namespaces, or a mount path under an existing host directory): the mount path prefix is
rewritten to the share directory in the command, args and env values, and `ACA_EMULATOR_MOUNTS` lists the
mappings (`/mount=/abs/share/dir;...`). Code that hard-codes the path elsewhere will not see it then.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

NAMESPACE_SCRIPT = r"""
set -e
R="$1"; W="$2"; N="$3"; shift 3
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


_namespace_ok: bool | None = None


async def namespaces_available() -> bool:
    global _namespace_ok
    if _namespace_ok is None:
        forced = os.environ.get("ACA_EMULATOR_SANDBOX", "").lower()
        if forced in ("none", "rewrite") or shutil.which("unshare") is None or shutil.which("chroot") is None:
            _namespace_ok = False
        else:
            try:
                process = await asyncio.create_subprocess_exec(
                    "unshare", "--user", "--map-root-user", "--mount", "true",
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                _namespace_ok = await process.wait() == 0
            except OSError:
                _namespace_ok = False
    return _namespace_ok


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
         namespaces: bool) -> tuple[list[str], dict[str, str], str]:
    """The argv/env to spawn and how mounts are provided ('namespace' | 'rewrite' | 'none')."""
    if not mounts:
        return argv, env, "none"
    bound = [m for m in mounts if namespaces and _bindable(m)]
    rewritten = [m for m in mounts if m not in bound]
    mode = "namespace" if bound else "rewrite"
    if rewritten:
        argv = [_rewrite(a, rewritten) for a in argv]
        env = {k: _rewrite(v, rewritten) for k, v in env.items()}
        env["ACA_EMULATOR_MOUNTS"] = ";".join(f"{m.path}={m.source}" for m in rewritten)
        if bound:
            mode = "namespace+rewrite"
    if not bound:
        return argv, env, mode
    root_dir.mkdir(parents=True, exist_ok=True)
    spec: list[str] = []
    for mount in bound:
        spec += [mount.path, str(mount.source)]
    wrapped = ["unshare", "--user", "--map-root-user", "--mount", "/bin/bash", "-c", NAMESPACE_SCRIPT, "aca-sandbox",
               str(root_dir), str(workdir), str(len(bound)), *spec, *argv]
    return wrapped, env, mode
