"""The adapter gate's rules, without a model: same adapter together, another one waits, reloads alone, in order."""

from __future__ import annotations

import asyncio
import sys

from .conftest import APP_DIR

sys.path.insert(0, str(APP_DIR))

from serving.adapter_gate import EXCLUSIVE, AdapterGate  # noqa: E402


def run(scenario) -> list[str]:
    events: list[str] = []
    gate = AdapterGate(lambda key: events.append(f"switch {key}"))
    asyncio.run(scenario(gate, events))
    return events


def test_requests_for_the_active_adapter_run_together_and_another_adapter_waits_for_them() -> None:
    async def scenario(gate: AdapterGate, events: list[str]) -> None:
        leave_a1 = await gate.enter("a")
        leave_a2 = await gate.enter("a")
        b = asyncio.create_task(gate.enter("b"))
        await asyncio.sleep(0)
        events.append(f"running {gate.running} on {gate.active}, b admitted: {b.done()}")
        leave_a1()
        await asyncio.sleep(0.01)
        events.append(f"b admitted: {b.done()}")
        leave_a2()
        (await b)()
        await asyncio.sleep(0.01)

    assert run(scenario) == ["switch a", "running 2 on a, b admitted: False", "b admitted: False", "switch b"]


def test_a_waiting_request_for_another_adapter_is_not_overtaken_by_newcomers() -> None:
    async def scenario(gate: AdapterGate, events: list[str]) -> None:
        leave = await gate.enter("a")
        b = asyncio.create_task(gate.enter("b"))
        await asyncio.sleep(0)
        late_a = asyncio.create_task(gate.enter("a"))  # "a" is active, but "b" asked first
        await asyncio.sleep(0.01)
        events.append(f"late a admitted: {late_a.done()}")
        leave()
        (await b)()
        (await late_a)()
        await asyncio.sleep(0.01)

    assert run(scenario) == ["switch a", "late a admitted: False", "switch b", "switch a"]


def test_an_exclusive_holder_waits_for_everyone_and_the_next_request_switches_again() -> None:
    async def scenario(gate: AdapterGate, events: list[str]) -> None:
        leave = await gate.enter("a")
        reload = asyncio.create_task(gate.enter(EXCLUSIVE))
        await asyncio.sleep(0.01)
        events.append(f"reload admitted: {reload.done()}")
        leave()
        leave_reload = await reload
        events.append(f"reload running alone: {gate.running == 1}")
        after = asyncio.create_task(gate.enter("a"))
        await asyncio.sleep(0.01)
        events.append(f"a admitted during reload: {after.done()}")
        leave_reload()
        (await after)()

    assert run(scenario) == ["switch a", "reload admitted: False", "reload running alone: True",
                             "a admitted during reload: False", "switch a"]


def test_a_cancelled_waiter_leaves_no_trace() -> None:
    async def scenario(gate: AdapterGate, events: list[str]) -> None:
        leave = await gate.enter("a")
        b = asyncio.create_task(gate.enter("b"))
        await asyncio.sleep(0)
        b.cancel()
        await asyncio.sleep(0)
        leave()
        await asyncio.sleep(0.01)
        events.append(f"running {gate.running}")
        (await gate.enter("a"))()

    assert run(scenario) == ["switch a", "running 0"]
