#!/usr/bin/env bash
# The test command: installs what is missing, then runs the whole suite (unit, emulator, daemon over stdio,
# CLI, app, browser and the real-VS-Code end-to-end test). pytest's exit 5 (no tests ran) is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --browser || exit $?
if [ -f client-ts/e2e/install.sh ]; then bash client-ts/e2e/install.sh || exit $?; fi
# azure-cli as a second real client of the emulator's Files API (and the deploy benchmark's baseline), in its
# own venv so it never mixes with ours. Best effort: without it, its one round-trip test is skipped.
if [ ! -x .cache/bench/az-venv/bin/az ]; then
  echo "Installing azure-cli into .cache/bench/az-venv (about a minute)..."
  { .venv/bin/python -m venv .cache/bench/az-venv && .cache/bench/az-venv/bin/python -m pip install -q azure-cli \
      >/dev/null 2>&1; } || echo "azure-cli could not be installed: its round-trip test will be skipped." >&2
fi

mkdir -p test-artifacts
# The test files run in parallel, each whole on one worker (its module fixtures set up once), the longest first
# (tests/conftest.py orders them). Most tests wait on processes and timers, not on the CPU, so on 2 cores 3
# workers finish the suite in about half the serial time. ACA_TEST_WORKERS=0 runs it serially.
.venv/bin/python -m pytest -ra -n "${ACA_TEST_WORKERS:-3}" --dist loadfile --no-loadscope-reorder "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here." >&2
  exit 1
fi
exit "$status"
