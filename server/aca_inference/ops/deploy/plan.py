"""A deploy as one pipeline: the strategy is chosen once (a release beside or instead of the serving revision, or
the code synced in place and the app restarted), and the plan is the list of steps that strategy takes, in order,
each with the progress it starts at. pipeline.py runs a plan and reports it; the steps live beside their strategy
(release_deploy.py, in_place.py, rollout.py) and the shared ones in pipeline.py.

A new step is a name here, its place in the plans that take it, and its handler; a new strategy is a plan here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StrategyKind = Literal["release", "in_place"]
StepName = Literal[
    "prepare",          # release: hash the app's files, read what the serving release holds
    "sync",             # in place: the app's folders to the share
    "reload_adapters",  # code unchanged: the running app reloads its adapters instead of restarting (ends the plan)
    "publish",          # release: upload the contents the share lacks, write the release
    "start",            # release: a revision runs it (made new, or an existing one activated again)
    "restart",          # in place: restart the revision (or update the app when the bicep changed its template)
    "stop_others",      # no room for two: the other revisions stop at once
    "wait_ready",       # until the endpoint (zero downtime: the new revision's own URL) answers as a user would
    "move_traffic",     # all traffic to the new revision in one ARM call
    "drain",            # the previous revision drains, then is deactivated
    "cold_start",       # our app: where its start went; the base model it loaded is remembered
    "prune",            # old releases no revision runs
]
# How much of the progress bar each step takes (the seeding check before the plan takes the first 2 %).
WEIGHTS: dict[StepName, int] = {"prepare": 3, "sync": 50, "reload_adapters": 3, "publish": 45, "start": 5,
                                "restart": 5, "stop_others": 2, "wait_ready": 25, "move_traffic": 2, "drain": 5,
                                "cold_start": 1, "prune": 1}
FIRST_PERCENTAGE = 2
UPLOADS: frozenset[StepName] = frozenset({"sync", "publish"})  # a cancel after one is reported before the app changes


@dataclass(frozen=True)
class Strategy:
    """How this deploy brings its code to the endpoint, chosen once from the app as it is."""

    kind: StrategyKind
    zero_downtime: bool = False  # a release beside the serving one, the traffic moved once it answers
    one_revision: bool = False  # revision mode Single: ACA replaces the revision itself (no traffic to set)
    why_not: str = ""  # release without zero downtime: what keeps it from it, and the fix

    def describe(self) -> str:
        if self.kind == "in_place":
            return "in place (sync, then restart)"
        return "release, zero downtime" if self.zero_downtime else "release, restart"


@dataclass(frozen=True)
class Step:
    name: StepName
    percentage: int  # reported as the step starts
    until: int  # where the next step starts: a long step (an upload) reports its own progress up to it


def _steps(names: list[StepName]) -> list[Step]:
    total = sum(WEIGHTS[name] for name in names) or 1
    steps: list[Step] = []
    done = 0
    for name in names:
        start = FIRST_PERCENTAGE + (100 - FIRST_PERCENTAGE) * done // total
        done += WEIGHTS[name]
        steps.append(Step(name, start, FIRST_PERCENTAGE + (100 - FIRST_PERCENTAGE) * done // total))
    return steps


def rollout_steps(strategy: Strategy) -> list[StepName]:
    """How a release reaches the endpoint (deploy and rollback alike)."""
    if strategy.zero_downtime:
        return ["start", "wait_ready", "move_traffic", "drain"]
    if strategy.one_revision:
        return ["start", "wait_ready", "move_traffic"]  # ACA moved it: the step only says so
    return ["start", "stop_others", "wait_ready", "move_traffic"]


def rollout_plan(strategy: Strategy) -> list[Step]:
    return _steps(rollout_steps(strategy))


def deploy_plan(strategy: Strategy) -> list[Step]:
    """Every step a deploy of this strategy may take; `reload_adapters` ends the plan when the code is unchanged
    and the running app reloads its adapters, and does nothing otherwise."""
    if strategy.kind == "in_place":
        return _steps(["sync", "reload_adapters", "restart", "wait_ready", "cold_start"])
    return _steps(["prepare", "reload_adapters", "publish", *rollout_steps(strategy), "cold_start", "prune"])
