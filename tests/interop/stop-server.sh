#!/usr/bin/env bash
# Stops the server start-server.sh STATE_DIR started: its whole process group (wrangler, esbuild,
# workerd; ending only wrangler would leave workerd holding the port and the state files), TERM
# first, KILL after 10 s. Returns once the group is gone. Usage: stop-server.sh STATE_DIR
state=${1:?usage: stop-server.sh STATE_DIR}
pgidFile="$state/server.pgid"
[ -f "$pgidFile" ] || exit 0
pgid=$(cat "$pgidFile")
if kill -TERM -- "-$pgid" 2>/dev/null; then
  for _ in $(seq 1 100); do
    kill -0 -- "-$pgid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null
fi
rm -f "$pgidFile"
exit 0
