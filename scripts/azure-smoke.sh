#!/usr/bin/env bash
# Smoke run of the whole product against a real subscription (or the local target, as CI runs it):
#   provision -> deploy (the offline demo model) -> a chat completion -> a second deploy -> rollback -> a chat
#   completion on the rolled-back release -> delete,
# timing each step. Everything it creates is removed on every exit - success, failure, Ctrl-C: on Azure it works
# in a resource group it creates (and refuses one that exists), deleted at the end with all it holds; locally in
# a local Azure of its own (a fresh ACA_INFERENCE_HOME), stopped and removed. The API key is read from
# `status --show-api-key --json` into a variable and handed to the chat call in its environment: never printed.
#
# Usage:
#   bash scripts/azure-smoke.sh --target azure --subscription <id|name> --location <region> \
#       [--gpu Consumption-GPU-NC8as-T4|Consumption-GPU-NC24-A100|NC24-A100] [--resource-group NEW_GROUP] \
#       [--timeout SECONDS] [--keep-workspace]
#   bash scripts/azure-smoke.sh --target local
# Azure: sign in first (`az login`, or the environment DefaultAzureCredential reads); the GPU kind's quota and
# region are yours to have (infra/README.md, "GPU kinds"). Exit 0: every step passed; 1: a step failed; 2: usage.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

target=local subscription="" location="" gpu="" group="" timeout="" keep_workspace=0
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=${2:?}; shift 2 ;;
    --subscription) subscription=${2:?}; shift 2 ;;
    --location) location=${2:?}; shift 2 ;;
    --gpu) gpu=${2:?}; shift 2 ;;
    --resource-group) group=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --keep-workspace) keep_workspace=1; shift ;;
    -h|--help) usage ;;
    *) echo "Unknown argument: $1" >&2; usage ;;
  esac
done
case "$target" in
  azure) [ -n "$subscription" ] && [ -n "$location" ] || { echo "--target azure needs --subscription and --location." >&2; exit 2; } ;;
  local) location=${location:-westus3} ;;
  *) echo "--target must be local or azure." >&2; exit 2 ;;
esac
timeout=${timeout:-$([ "$target" = azure ] && echo 1800 || echo 600)}
[ -x .venv/bin/aca-inference ] || bash scripts/install.sh
cli=("$repo/.venv/bin/aca-inference")
py="$repo/.venv/bin/python"
helpers="$repo/scripts/smoke_helpers.py"

work=$(mktemp -d "${TMPDIR:-/tmp}/aca-smoke.XXXXXX")
ws=$work/workspace
group=${group:-rg-aca-smoke-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}
where=(--workspace "$ws" --target "$target")
local_azure=""
if [ "$target" = local ]; then
  # A local Azure of its own, and the temporary files of its apps (release copies, caches), removed with all they
  # hold. A short path under /tmp: the local Azure's Unix sockets live there (at most 107 bytes a path).
  local_azure=$(mktemp -d /tmp/aca-smoke.XXXXXX)
  export ACA_INFERENCE_HOME=$local_azure/home TMPDIR=$local_azure/tmp
  mkdir -p "$TMPDIR"
fi

steps=() current="" created=0 deleted=0 failed=""
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%8.1f", b - a }'; }
run_step() {  # run_step NAME COMMAND...: time it; the first failure ends the run (and cleans up)
  current=$1; shift
  echo "== $current"
  local started code; started=$(now)
  set +e
  ( set -e; "$@" )  # a subshell, outside any `if`: errexit holds inside the step
  code=$?
  set -e
  if [ "$code" = 0 ]; then
    steps+=("$(printf '%-22s %s  ok' "$current" "$(since "$started")")")
  else
    steps+=("$(printf '%-22s %s  FAILED' "$current" "$(since "$started")")")
    failed=$current
    exit 1
  fi
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  set +e
  local started; started=$(now)
  echo "== cleanup"
  if [ "$target" = azure ]; then
    if [ "$created" = 1 ] && [ -n "${subscription_id:-}" ]; then
      "$py" "$helpers" delete-group "$subscription_id" "$group" || {
        echo "Could not delete resource group $group: delete it yourself (az group delete -n $group)." >&2; code=1; }
    fi
  else
    [ "$created" = 1 ] && [ "$deleted" = 0 ] && "${cli[@]}" delete "${where[@]}" --yes >/dev/null 2>&1
    "${cli[@]}" emulator stop >/dev/null 2>&1
  fi
  [ -n "$local_azure" ] && rm -rf "$local_azure"
  if [ "$keep_workspace" = 1 ]; then
    echo "Workspace kept: $ws"
  else
    rm -rf "$work"
  fi
  steps+=("$(printf '%-22s %s  done' cleanup "$(since "$started")")")
  echo
  echo "step                    seconds  result"
  printf '%s\n' "${steps[@]}"
  if [ "$code" = 0 ]; then
    echo "SMOKE PASSED ($target)"
  else
    echo "SMOKE FAILED ($target) at ${failed:-${current:-start}}"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$target" = azure ]; then
  subscription_id=$("$py" "$helpers" subscription-id "$subscription")
  if "$py" "$helpers" group-exists "$subscription_id" "$group"; then
    echo "Resource group $group exists: the smoke run deletes its group at the end, so give a new name." >&2
    exit 2
  fi
fi

scaffold() {
  "${cli[@]}" init "$ws" >/dev/null
  if [ -n "$gpu" ]; then
    "$py" "$helpers" set-param "$ws/infra/provision/inference.parameters.json" workloadProfileType "$gpu"
  fi
  "${cli[@]}" validate --workspace "$ws"
}
provision() {
  local extra=()
  [ "$target" = azure ] && extra=(--subscription "$subscription_id")
  "${cli[@]}" provision "${where[@]}" "${extra[@]}" --resource-group "$group" --location "$location" --yes --json \
    >"$work/provision.json"
  tail -n 1 "$work/provision.json" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["summary"])'
}
deploy() {  # deploy OUT: a release, its id kept in OUT
  "${cli[@]}" deploy "${where[@]}" --demo-model --timeout "$timeout" --drain-seconds 2 --json >"$work/$1.json"
  "$py" "$helpers" field "$work/$1.json" summary
}
chat() {
  local key endpoint
  key=$("${cli[@]}" status "${where[@]}" --show-api-key --json 2>/dev/null | "$py" "$helpers" api-key)
  endpoint=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ACA_APP_ENDPOINT"])' \
    "$ws/infra/inference.config.json")
  SMOKE_API_KEY=$key SMOKE_CHAT_TIMEOUT=$timeout "$py" "$helpers" chat "$endpoint"
}
change_the_app() {
  echo "smoke run $(date -u +%FT%TZ)" >"$ws/inference/smoke-marker.txt"  # new content: a new release
  deploy deploy2
  [ "$("$py" "$helpers" field "$work/deploy2.json" release)" != "$("$py" "$helpers" field "$work/deploy1.json" release)" ]
}
rollback() {
  "${cli[@]}" rollback "${where[@]}" --timeout "$timeout" --drain-seconds 2 --json >"$work/rollback.json"
  "$py" "$helpers" field "$work/rollback.json" summary
  "${cli[@]}" status "${where[@]}" --json >"$work/status.json"
  local serving first
  serving=$("$py" "$helpers" field "$work/status.json" serving_release)
  first=$("$py" "$helpers" field "$work/deploy1.json" release)
  echo "serving release $serving (first deploy: $first)"
  [ -n "$serving" ] && [ "$serving" = "$first" ]
}
delete_app() {
  "${cli[@]}" delete "${where[@]}" --yes --json >"$work/delete.json"
  "$py" "$helpers" field "$work/delete.json" summary
}

echo "Smoke run on the $target target: resource group $group, location $location${gpu:+, GPU $gpu}${local_azure:+, local Azure in $local_azure}."
run_step scaffold scaffold
created=1  # from here on, the group (or the local Azure) holds what this run made
run_step provision provision
run_step deploy deploy deploy1
run_step "chat completion" chat
run_step "second deploy" change_the_app
run_step rollback rollback
run_step "chat after rollback" chat
run_step delete delete_app
deleted=1
