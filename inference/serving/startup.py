"""Where the app's start went, phase by phase: logged as each ends, and shown in `/health` under "startup".

A cold start on ACA is container pull + dependency install (start.py, before this process) + imports + reading
the model files from the share + weights to the GPU + adapters + the first generation. Knowing which one dominates
is what makes a start faster; start.py hands its own figures over in INFERENCE_START_REPORT."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("inference.startup")

START_REPORT_VARIABLE = "INFERENCE_START_REPORT"


class StartupReport:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self.phases: dict[str, float] = {}
        self.details: dict[str, Any] = {}
        self.total_seconds: float | None = None
        # Wall-clock start: start.py's when it ran us (it measured the dependency step), else this process's.
        handed: dict[str, Any] = {}
        with contextlib.suppress(ValueError, TypeError):
            handed = json.loads(env.get(START_REPORT_VARIABLE, "") or "{}")
        self.started_at = float(handed.get("started_at") or _process_started_at())
        dependencies = handed.get("dependencies")
        if isinstance(dependencies, dict):
            self.phases["dependencies"] = float(dependencies.get("seconds", 0.0))
            # Not the stamp's path: /health answers without a key.
            self.details["dependencies"] = {k: v for k, v in dependencies.items() if k != "stamp"}

    def record(self, name: str, seconds: float, **details: Any) -> None:
        with self._lock:
            self.phases[name] = self.phases.get(name, 0.0) + seconds
            if details:
                self.details.setdefault(name, {}).update(details)
        suffix = "".join(f", {key}={value}" for key, value in details.items())
        log.info("startup: %s took %.2f s%s", name, seconds, suffix)

    @contextlib.contextmanager
    def phase(self, name: str, **details: Any) -> Iterator[dict[str, Any]]:
        """Time a block; the block may add details to the yielded dict."""
        started = time.perf_counter()
        extra: dict[str, Any] = dict(details)
        try:
            yield extra
        finally:
            self.record(name, time.perf_counter() - started, **extra)

    def finish(self) -> None:
        self.total_seconds = time.time() - self.started_at
        order = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.phases.items())
        log.info("startup: ready %.2f s after the start (%s)", self.total_seconds, order)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"total_seconds": None if self.total_seconds is None else round(self.total_seconds, 3),
                    "phases": {name: round(seconds, 3) for name, seconds in self.phases.items()},
                    "details": dict(self.details)}


def _process_started_at() -> float:
    """This process's start time (wall clock), from /proc where there is one."""
    try:
        with open("/proc/self/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as system:
            boot = next(int(line.split()[1]) for line in system if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()
