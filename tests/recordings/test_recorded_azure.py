"""The emulator answers the recorded real-Azure traffic (../shared/azure-recordings) as Azure did: replayed in
order against an in-process emulator (replay.py), scored per interaction (score.py). Per-cassette table:
`PYTHONPATH=server .venv/bin/python scripts/replay_azure_recordings.py -v`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .cassettes import cassette_names, missing_reason
from .replay import SKIPPED, replay_recordings
from .score import Totals, table

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Totals], Totals]]:
    reason = missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    results = replay_recordings(cassette_names(), tmp_path_factory.mktemp("replay"))
    text, total = table(results)
    print(text)
    yield results, total


def _problems(results: list[Totals], keep: str) -> str:
    lines = [f"{s.cassette}#{s.index} {s.method} {s.path}: {'; '.join(s.problems())}"
             for t in results for s in t.scored if keep in " ".join(s.problems())]
    return "\n".join(lines[:20])


def test_every_cassette_is_replayed_and_the_skips_stay_few_and_named(replayed: tuple[list[Totals], Totals]) -> None:
    results, total = replayed
    assert len(results) == len(cassette_names()) >= 12
    assert all(t.replayed > 0 for t in results)
    assert total.replayed >= 200
    # Only the listed kinds of call are skipped, and they are a minority of what is not an LRO poll.
    assert set(total.skipped) <= {reason for reason, _ in SKIPPED}
    assert sum(total.skipped.values()) < total.replayed


def test_at_least_95_percent_of_the_replayed_interactions_get_azures_status_code(
        replayed: tuple[list[Totals], Totals]) -> None:
    results, total = replayed
    assert total.status_pct >= 95.0, _problems(results, "status")


def test_at_least_90_percent_of_the_json_answers_carry_every_key_azure_sent(
        replayed: tuple[list[Totals], Totals]) -> None:
    results, total = replayed
    assert total.keys_pct >= 90.0, _problems(results, "keys missing")


def test_nothing_azure_accepted_is_refused_by_the_emulator(replayed: tuple[list[Totals], Totals]) -> None:
    results, total = replayed
    assert total.refused == 0, "\n".join(f"{s.cassette}#{s.index} {s.method} {s.path}: {'; '.join(s.problems())}"
                                         for t in results for s in t.scored if s.refused)


def test_errors_carry_azures_codes_and_long_running_operations_end_as_recorded(
        replayed: tuple[list[Totals], Totals]) -> None:
    results, total = replayed
    assert total.errors >= 5 and total.errors_ok == total.errors, _problems(results, "error code")
    assert total.lros >= 40 and total.lro_outcomes_ok == total.lros, _problems(results, "LRO outcome")
    # Monitor headers as recorded; Azure itself varies for a container app's PATCH (Location, or both).
    assert total.lro_headers_ok >= 0.95 * total.lros, _problems(results, "LRO headers")
