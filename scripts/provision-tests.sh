#!/usr/bin/env bash
# npm's `pretest`: makes a fresh Debian 12 machine able to run `npm test`. The tests need Debian's
# Chromium (/usr/bin/chromium, for the chat page) and a real MediaWiki (Debian's packages; the
# test set-up imports the shared articles into it), unless GALEN_TEST_MEDIAWIKI_URL names one that
# answers. Installs what is missing with apt when run as root, within a time budget; otherwise
# says exactly what to run. Does nothing (in a second) when all is there.
# GALEN_PROVISION_CHROMIUM (default /usr/bin/chromium) is the browser checked for; tests point it
# elsewhere to see what a machine without it is told.
set -euo pipefail
BUDGET_S="${GALEN_PROVISION_BUDGET_S:-600}"
CHROMIUM="${GALEN_PROVISION_CHROMIUM:-/usr/bin/chromium}"
log() { echo "[provision $(date +%H:%M:%S)] $*" >&2; }

packages=()
[ -x "$CHROMIUM" ] || packages+=(chromium)
wiki_url="${GALEN_TEST_MEDIAWIKI_URL:-}"
if [ -z "$wiki_url" ] || ! node -e 'fetch(process.argv[1] + "?action=query&meta=siteinfo&format=json", { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$wiki_url"; then
  for p in mediawiki php-sqlite3 php-cli php-intl php-mbstring php-xml; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || packages+=("$p")
  done
fi
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<MSG
npm test needs Debian packages that are not installed: ${packages[*]}
Install them once as root, then run npm test again:
  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}
(or run npm test as root, and this step installs them; or point GALEN_TEST_MEDIAWIKI_URL at a
MediaWiki API that holds the shared articles)
MSG
  exit 1
fi

log "installing ${packages[*]} with apt (budget ${BUDGET_S} s; about 140 s measured on a cold machine)"
started=$(date +%s)
# Debian's mediawiki pulls in apache2: no daemon may start during the install (the tests serve the
# wiki with php -S), so a temporary policy-rc.d denies it where none exists.
policy_added=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
fi
trap '[ $policy_added = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
if ! timeout "$BUDGET_S" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages[*]} >/dev/null"; then
  echo "provision: apt-get could not install ${packages[*]} within ${BUDGET_S} s (no network or apt mirror?); set GALEN_PROVISION_BUDGET_S for a slower mirror" >&2
  exit 1
fi
log "installed in $(($(date +%s) - started)) s"
