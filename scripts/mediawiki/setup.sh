#!/usr/bin/env bash
# A private MediaWiki with the shared Wikipedia articles, for Galen's Wikipedia retriever tests.
#
# Usage (as root on Debian 12):  scripts/mediawiki/setup.sh <dir> <port> [--max-articles N] [--no-start]
#
#   <dir>             where the instance lives (LocalSettings.php, SQLite files, logs, PID file)
#   <port>            TCP port on 127.0.0.1 to serve it on; the API is http://127.0.0.1:<port>/api.php
#   --max-articles N  import only the first N whole articles (default: all 1,058; every lead is
#                     imported either way). The whole import takes about 30 s on 2 cores.
#   --no-start        install and import, but do not start the server
#
# Environment: GALEN_WIKI_DATA (default <repo>/../shared/data/wiki) holds articles.jsonl and
# leads.jsonl.
#
# Idempotent: apt is skipped when the packages are installed, install/import are skipped when
# <dir> already holds an imported wiki (delete <dir> to rebuild), and a running server on <dir> is
# restarted. Prints the API URL as its last line.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
MW=/usr/share/mediawiki

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
DIR="$1"; PORT="$2"; shift 2
MAX_ARTICLES=-1
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --max-articles) MAX_ARTICLES="${2:?--max-articles needs a number}"; shift ;;
    --no-start) START=0 ;;
    *) usage ;;
  esac
  shift
done
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || { echo "setup.sh: bad port '$PORT'" >&2; exit 2; }
DATA="${GALEN_WIKI_DATA:-$REPO/../shared/data/wiki}"
for f in articles.jsonl leads.jsonl; do
  [ -r "$DATA/$f" ] || { echo "setup.sh: $DATA/$f is missing (set GALEN_WIKI_DATA)" >&2; exit 1; }
done

log() { echo "[mediawiki $(date +%H:%M:%S)] $*" >&2; }
started=$(date +%s)

# 1. Packages. Debian's mediawiki depends on apache2 (or another httpd); we serve with `php -S`, so
#    no daemon may start during the install: a temporary policy-rc.d denies it where none exists.
PACKAGES=(mediawiki php-sqlite3 php-cli php-intl php-mbstring php-xml)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "setup.sh: installing ${missing[*]} needs root" >&2; exit 1; }
  log "apt-get install ${missing[*]}"
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
  fi
  trap '[ $policy_added = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  [ $policy_added = 1 ] && rm -f /usr/sbin/policy-rc.d
  trap - EXIT
fi
[ -d "$MW/extensions/TextExtracts" ] || log "warning: TextExtracts is not in $MW/extensions; the retriever falls back to revisions"

# 2. The instance: its own LocalSettings.php and SQLite files under <dir>, code from Debian's package.
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
export MW_CONFIG_FILE="$DIR/LocalSettings.php"
export GALEN_WIKI_PORT="$PORT"
PHP=(php -d memory_limit=1G -d opcache.enable_cli=1)

if [ ! -f "$DIR/LocalSettings.php" ]; then
  log "install.php (SQLite in $DIR/db)"
  rm -rf "$DIR/db" "$DIR/images" "$DIR/cache" && mkdir -p "$DIR/db" "$DIR/images" "$DIR/cache" "$DIR/tmp"
  # A throwaway admin password: the wiki listens on loopback only and is rebuilt at will.
  password="galen-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  "${PHP[@]}" "$MW/maintenance/install.php" \
    --dbtype sqlite --dbpath "$DIR/db" --dbname galenwiki \
    --server "http://127.0.0.1:$PORT" --scriptpath "" \
    --confpath "$DIR/tmp" --lang en --pass "$password" \
    "Galen Wiki" "Admin" >"$DIR/install.log" 2>&1 || { cat "$DIR/install.log" >&2; exit 1; }
  echo "$password" > "$DIR/admin-password" && chmod 600 "$DIR/admin-password"
  cat "$DIR/tmp/LocalSettings.php" - > "$DIR/LocalSettings.php" <<PHP

# ---- Galen test wiki (scripts/mediawiki/setup.sh) ----
# The port comes from the environment so that start.sh can serve the same instance elsewhere.
\$wgServer = 'http://127.0.0.1:' . (getenv('GALEN_WIKI_PORT') ?: '$PORT');
\$wgCanonicalServer = \$wgServer;
\$wgArticlePath = '/wiki/\$1';
\$wgUploadDirectory = '$DIR/images';
\$wgCacheDirectory = '$DIR/cache';
\$wgTmpDirectory = '$DIR/tmp';
\$wgEnableUploads = false;
# Jobs run from runJobs.php, never inside API requests (they would add latency at random).
\$wgJobRunRate = 0;
\$wgMainCacheType = CACHE_DB;
\$wgParserCacheType = CACHE_DB;
\$wgRateLimits = [];
\$wgDebugLogFile = '';
wfLoadExtension( 'TextExtracts' );
PHP
  rm -rf "$DIR/tmp"/LocalSettings.php
fi

# 3. Import (once). --no-updates skips per-page link and search updates; rebuildtextindex.php
#    builds the search index for all pages in one pass, which is much faster.
if [ ! -f "$DIR/imported.json" ]; then
  log "building the XML dump (max articles: $MAX_ARTICLES)"
  counts=$(php "$HERE/make-dump.php" --out "$DIR/dump.xml" --articles "$DATA/articles.jsonl" \
    --leads "$DATA/leads.jsonl" --max-articles "$MAX_ARTICLES")
  log "dump: $counts"
  log "importDump.php"
  "${PHP[@]}" "$MW/maintenance/importDump.php" --no-updates --username-prefix=wikipedia \
    --quiet "$DIR/dump.xml" >"$DIR/import.log" 2>&1 || { tail -20 "$DIR/import.log" >&2; exit 1; }
  log "rebuildtextindex.php, runJobs.php, initSiteStats.php"
  "${PHP[@]}" "$MW/maintenance/rebuildtextindex.php" >>"$DIR/import.log" 2>&1
  "${PHP[@]}" "$MW/maintenance/runJobs.php" --memory-limit 1G >>"$DIR/import.log" 2>&1
  "${PHP[@]}" "$MW/maintenance/initSiteStats.php" --update >>"$DIR/import.log" 2>&1
  # Without statistics SQLite drives MediaWiki's search join from `page` and evaluates the FTS
  # MATCH row by row (0.2–0.7 s a query); after ANALYZE it starts from the full-text index (~1 ms).
  php -r '$db = new SQLite3($argv[1]); $db->busyTimeout(5000); $db->exec("ANALYZE");' "$DIR/db/galenwiki.sqlite"
  rm -f "$DIR/dump.xml"
  echo "$counts" > "$DIR/imported.json"
fi
log "setup done in $(( $(date +%s) - started ))s"

# 4. Serve.
if [ "$START" = 1 ]; then
  "$HERE/start.sh" "$DIR" "$PORT"
else
  echo "http://127.0.0.1:$PORT/api.php"
fi
