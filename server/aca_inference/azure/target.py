"""Where Azure is for one run - the real cloud or the local emulator - and who signs in: what a front end
decides and `open_session` needs. Lives here, under the cloud adapters, so that azure/ depends on nothing above it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

TargetKind = Literal["local", "azure"]
# Front ends that own the user's sign-in (VS Code) hand tokens over: scopes -> (token, expires_on).
TokenProvider = Callable[[list[str]], Awaitable[tuple[str, int]]]


@dataclass(frozen=True)
class TargetSettings:
    kind: TargetKind = "local"
    emulator_data_dir: Path | None = None
    token_provider: TokenProvider | None = None
