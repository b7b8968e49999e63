#!/usr/bin/env bash
# The test command: installs what is missing, then runs the whole suite (unit, emulator, daemon over stdio,
# CLI, app, browser and the real-VS-Code end-to-end test). pytest's exit 5 (no tests ran) is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --browser || exit $?
if [ -f client-ts/e2e/install.sh ]; then bash client-ts/e2e/install.sh || exit $?; fi

mkdir -p test-artifacts
.venv/bin/python -m pytest -ra "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here." >&2
  exit 1
fi
exit "$status"
