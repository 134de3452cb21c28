#!/usr/bin/env bash
# Serves a wiki made by setup.sh with `php -S` in the background and waits until its API answers.
#
# Usage: scripts/mediawiki/start.sh <dir> <port>
#
# Writes <dir>/server.pid (the server is its own process group: stop.sh kills the group) and logs
# to <dir>/server.log. A server already running for <dir> is stopped first. Prints the API URL.
# Environment: GALEN_WIKI_WORKERS (default 4) PHP worker processes, so that one slow request
# does not queue the others.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 2 ] || { echo "usage: start.sh <dir> <port>" >&2; exit 2; }
DIR="$(cd "$1" && pwd)"; PORT="$2"
[ -f "$DIR/LocalSettings.php" ] || { echo "start.sh: $DIR is not a wiki made by setup.sh" >&2; exit 1; }
"$HERE/stop.sh" "$DIR" >/dev/null 2>&1 || true

API="http://127.0.0.1:$PORT/api.php"
MW_CONFIG_FILE="$DIR/LocalSettings.php" GALEN_WIKI_PORT="$PORT" \
PHP_CLI_SERVER_WORKERS="${GALEN_WIKI_WORKERS:-4}" \
  setsid php -d opcache.enable=1 -d opcache.enable_cli=1 -d memory_limit=512M \
  -S "127.0.0.1:$PORT" -t /usr/share/mediawiki "$HERE/router.php" \
  >"$DIR/server.log" 2>&1 < /dev/null &
echo $! > "$DIR/server.pid"

# Ready when the API answers siteinfo (the first request also warms opcache).
for _ in $(seq 1 150); do
  if php -r 'exit(str_contains((string)@file_get_contents($argv[1]), "\"sitename\"") ? 0 : 1);' \
      "$API?action=query&meta=siteinfo&format=json" 2>/dev/null; then
    echo "$API"
    exit 0
  fi
  kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null || { echo "start.sh: php -S exited:" >&2; tail -20 "$DIR/server.log" >&2; exit 1; }
  sleep 0.2
done
echo "start.sh: $API did not answer within 30 s" >&2
tail -20 "$DIR/server.log" >&2
exit 1
