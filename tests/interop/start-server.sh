#!/usr/bin/env bash
# Starts the real LiveStore sync server, @livestore/sync-cf 0.4.0 (server/worker.js), under
# `wrangler dev` (miniflare and workerd, all from npm) on 127.0.0.1:PORT, in the background, in a
# process group of its own, and returns once it answers HTTP. Needs `npm ci` done in this folder.
#
# Usage: start-server.sh STATE_DIR [PORT=8787]
# Env:   LOG_LEVEL        wrangler's --log-level (default log: the worker's onPush line per push)
#        STARTUP_TIMEOUT  seconds to wait for it (default 90)
# Everything it writes goes into STATE_DIR: state/ (the Durable Objects' SQLite files), server.log,
# server.pgid, wrangler's logs and config. Several servers can run at once, one STATE_DIR each.
# Stop it with stop-server.sh STATE_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${1:?usage: start-server.sh STATE_DIR [PORT]}
port=${2:-8787}
mkdir -p "$state"
state=$(cd "$state" && pwd)
if [ -f "$state/server.pgid" ] && kill -0 -- "-$(cat "$state/server.pgid")" 2>/dev/null; then
  echo "a server is already running for $state (process group $(cat "$state/server.pgid"))"
  exit 1
fi
cd "$here"
if [ ! -x node_modules/.bin/wrangler ]; then
  echo "wrangler is not installed in $here: run npm ci there first"
  exit 1
fi

# miniflare reads node_modules/.mf/cf.json (relative to its working directory, this folder) and
# fetches Cloudflare's cf.json when that file is missing or older than 30 days. A fresh placeholder
# on every start keeps it off the network, also in a build folder months old.
mkdir -p node_modules/.mf
echo '{"colo":"DFW","country":"US","asn":395747,"httpProtocol":"HTTP/1.1"}' > node_modules/.mf/cf.json
export WRANGLER_SEND_METRICS=false         # no telemetry
export WRANGLER_LOG_PATH="$state/wrangler-logs"
export XDG_CONFIG_HOME="$state/config"     # wrangler's own config and caches stay out of $HOME
# wrangler asks npm's registry whether it is the latest version (2 s timeout, errors ignored). It
# finds the registry through the `rc` package, which reads npm_registry from the environment:
# a closed local port makes that check fail at once, without leaving the machine.
export npm_registry=http://127.0.0.1:9/
export CI=1                                # non-interactive: no prompts, no hotkeys

# wrangler directly, not npx: npx could go looking for a package. setsid makes the server the
# leader of a new process group, so stop-server.sh can end wrangler, esbuild and workerd at once.
setsid node_modules/.bin/wrangler dev --config server/wrangler.toml --ip 127.0.0.1 --port "$port" \
  --inspector-port 0 --persist-to "$state/state" --log-level "${LOG_LEVEL:-log}" \
  > "$state/server.log" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$state/server.pgid"

# Up once the worker answers (any HTTP status); give up early if wrangler exits.
deadline=$((SECONDS + ${STARTUP_TIMEOUT:-90}))
until node -e "fetch('http://127.0.0.1:$port/').then(() => process.exit(0), () => process.exit(1))" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "the sync-cf server did not come up on 127.0.0.1:$port; the end of $state/server.log:"
    tail -n 40 "$state/server.log" || true
    "$here/stop-server.sh" "$state"
    exit 1
  fi
  sleep 0.5
done
echo "sync-cf server up on 127.0.0.1:$port (process group $pid)"
