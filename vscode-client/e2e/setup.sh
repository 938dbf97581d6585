#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, cached so a second run costs seconds:
#   - Debian packages: chromium (the browser playwright drives), libkrb5-dev (code-server's
#     kerberos module builds against gssapi.h), ripgrep (seeds @vscode/ripgrep, see below);
#   - code-server 4.100.3 (VS Code 1.100.3; the last release that runs on Node 20) and
#     playwright-core, under $TABSTOP_EDITORS_CACHE (default ~/.cache/tabstop/editors).
# Exit status 77 means "cannot be installed here" (the pytest wrapper turns it into a skip
# with the reason printed on stderr); any other non-zero status is a real failure.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.55.0
CACHE="${TABSTOP_EDITORS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tabstop/editors}"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
PW_DIR="$CACHE/playwright-core-$PLAYWRIGHT_VERSION"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

skip() { echo "SKIP: $*" >&2; exit 77; }

command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || skip "code-server $CODE_SERVER_VERSION needs Node 20+, found $(node --version)"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ] && [ ! -e /usr/include/gssapi/gssapi.h ]; then
  need_apt+=(libkrb5-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    skip "missing ${need_apt[*]} and cannot apt-get install them (not root or no apt)"
  fi
  echo "setup: apt-get install ${need_apt[*]}" >&2
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"; } >&2 \
    || skip "apt-get install ${need_apt[*]} failed (no package registry?)"
fi

mkdir -p "$CACHE"
if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ]; then
  # @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here; it
  # looks in this cache folder first, so seed it with Debian's rg.
  tmp=$(node -p 'require("os").tmpdir()')
  seed="$tmp/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$seed"
  if [ ! -s "$seed/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
    tar -C "$(dirname "$(command -v rg)")" -czf "$seed/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
  fi
  echo "setup: npm install code-server@$CODE_SERVER_VERSION into $CS_DIR (about a minute)" >&2
  rm -rf "$CS_DIR.partial" && mkdir -p "$CS_DIR.partial"
  (cd "$CS_DIR.partial" && echo '{"private":true}' > package.json \
    && npm_config_yes=true npm install --no-save --unsafe-perm "code-server@$CODE_SERVER_VERSION" >&2) \
    || skip "npm install code-server@$CODE_SERVER_VERSION failed (see above)"
  # Its postinstall fetches VS Code's own node modules; an npm that skips install scripts
  # leaves a code-server that starts but cannot open a workbench.
  if [ ! -d "$CS_DIR.partial/node_modules/code-server/lib/vscode/node_modules" ]; then
    echo "setup: code-server's postinstall did not run (npm install scripts disabled?)" >&2
    exit 1
  fi
  rm -rf "$CS_DIR" && mv "$CS_DIR.partial" "$CS_DIR"
fi

if [ ! -d "$PW_DIR/node_modules/playwright-core" ]; then
  echo "setup: npm install playwright-core@$PLAYWRIGHT_VERSION" >&2
  rm -rf "$PW_DIR.partial" && mkdir -p "$PW_DIR.partial"
  (cd "$PW_DIR.partial" && echo '{"private":true}' > package.json \
    && npm install --no-save "playwright-core@$PLAYWRIGHT_VERSION" >&2) \
    || skip "npm install playwright-core failed"
  rm -rf "$PW_DIR" && mv "$PW_DIR.partial" "$PW_DIR"
fi

# The last lines on stdout are what the test reads.
echo "CODE_SERVER=$CS_DIR/node_modules/.bin/code-server"
echo "PLAYWRIGHT_NODE_PATH=$PW_DIR/node_modules"
echo "CHROMIUM=$(command -v chromium)"
