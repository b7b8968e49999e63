#!/usr/bin/env bash
# Builds the VSIX and runs the real-VS-Code end-to-end test (after client-ts/e2e/install.sh).
# Screenshots, the output channel's log and code-server's log land in test-artifacts/e2e/.
# Usage: bash client-ts/e2e/run.sh [extra node --test args, e.g. --test-name-pattern=validate]
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run package --silent >/dev/null
exec node --test --test-concurrency=1 --test-reporter=spec "$@" client-ts/e2e/
