#!/usr/bin/env bash
# Stops the `php -S` server that start.sh started for <dir> (its whole process group).
#
# Usage: scripts/mediawiki/stop.sh <dir>
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: stop.sh <dir>" >&2; exit 2; }
PIDFILE="$1/server.pid"
[ -f "$PIDFILE" ] || exit 0
pid="$(cat "$PIDFILE")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
fi
rm -f "$PIDFILE"
