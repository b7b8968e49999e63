"""Replays the recorded real-Azure traffic (../shared/azure-recordings) against the local emulator and prints,
per cassette and in total, how exactly the emulator answers as Azure did (tests/recordings/).

    PYTHONPATH=server .venv/bin/python scripts/replay_azure_recordings.py [-v] [cassette-name-part ...]

-v lists every interaction that differs, with what differs."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from tests.recordings.cassettes import cassette_names, missing_reason  # noqa: E402
from tests.recordings.replay import replay_recordings  # noqa: E402
from tests.recordings.score import table  # noqa: E402


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    wanted = [a for a in argv if a != "-v"]
    reason = missing_reason()
    if reason:
        print(f"cannot replay: {reason}", file=sys.stderr)
        return 2
    names = [n for n in cassette_names() if not wanted or any(w in n for w in wanted)]
    with tempfile.TemporaryDirectory(prefix="aca-replay-") as data_dir:
        results = replay_recordings(names, Path(data_dir))
    text, total = table(results)
    print(text)
    if verbose:
        for totals in results:
            for scored in totals.scored:
                problems = scored.problems()
                if problems:
                    print(f"{scored.cassette}#{scored.index} {scored.method} {scored.path}: {'; '.join(problems)}")
    print(f"\nstatus-exact {total.status_pct:.1f} % (goal >= 95), key-complete {total.keys_pct:.1f} % (goal >= 90), "
          f"refused where Azure answered 2xx: {total.refused} (goal 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
