#!/usr/bin/env bash
# Installs what the real-VS-Code end-to-end test needs, cached under .cache/e2e/ (idempotent: seconds when
# everything is there; about 3-4 minutes the first time, mostly code-server's native modules):
#   - Debian: chromium (the browser playwright drives), libkrb5-dev + pkg-config + a C++ toolchain (code-server's
#     native modules build against Node 24's headers)
#   - Node 24 from npm (code-server 4.139 needs it; the machine's own Node is not touched)
#   - code-server from npm
#   - the client's npm packages (esbuild, vsce, playwright-core, ...) with `npm ci`
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${ACA_E2E_CACHE:-$PWD/.cache/e2e}
CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
mkdir -p "$CACHE"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
{ command -v make >/dev/null && command -v g++ >/dev/null; } || missing+=(make g++)
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_home() { ls -d "$CACHE"/node24/node_modules/node/node_modules/node-linux-* 2>/dev/null | head -1; }
if [ -z "$(node_home)" ] || ! "$(node_home)/bin/node" --version | grep -q "^v$NODE_MAJOR\."; then
  echo "e2e: installing Node $NODE_MAJOR from npm"
  rm -rf "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-save --no-package-lock --no-audit --no-fund "node@$NODE_MAJOR" >/dev/null
fi
NODE_HOME=$(node_home)

CODE_SERVER=$CACHE/code-server/node_modules/.bin/code-server
if ! PATH="$NODE_HOME/bin:$PATH" XDG_CONFIG_HOME="$CACHE/xdg-config" "$CODE_SERVER" --version 2>/dev/null \
    | grep -q "^$CODE_SERVER_VERSION "; then
  echo "e2e: installing code-server $CODE_SERVER_VERSION (builds native modules: a few minutes)"
  rm -rf "$CACHE/code-server"
  PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" \
    npm install --prefix "$CACHE/code-server" --no-save --no-package-lock --no-audit --no-fund \
    "code-server@$CODE_SERVER_VERSION" >/dev/null
fi

stamp=node_modules/.aca-e2e-lock-hash
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "e2e: npm ci (the client's build tools and playwright-core)"
  npm ci --no-audit --no-fund >/dev/null
  echo "$wanted" > "$stamp"
fi
echo "e2e: ready (code-server $CODE_SERVER_VERSION, node $("$NODE_HOME/bin/node" --version), $(/usr/bin/chromium --version 2>/dev/null))"
