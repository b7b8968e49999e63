#!/usr/bin/env bash
# The main job, offline: install, start the local Azure emulator, scaffold a workspace, provision, deploy the
# inference app with the demo model, wait until it answers, print the endpoint URL and how to get the API key.
# Usage: bash scripts/up-local.sh [WORKSPACE]   (default: ~/.aca-inference/demo-workspace)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export ACA_INFERENCE_HOME=${ACA_INFERENCE_HOME:-$HOME/.aca-inference}
workspace=${1:-$ACA_INFERENCE_HOME/demo-workspace}
cli=.venv/bin/aca-inference

$cli emulator start
[ -f "$workspace/infra/provision/inference.parameters.json" ] || $cli init "$workspace"
$cli validate --workspace "$workspace"
$cli up --workspace "$workspace" --target local --resource-group rg-inference-local --location westus3 \
  --yes --demo-model
echo
echo "Open the endpoint above in a browser (Gradio UI) or call its OpenAI-compatible API."
echo "API key: $cli status --workspace \"$workspace\" --show-api-key"
echo "Logs:    $cli logs --workspace \"$workspace\" --follow"
echo "Stop:    $cli emulator stop"
