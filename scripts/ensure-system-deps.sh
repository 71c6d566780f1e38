#!/usr/bin/env bash
# System programs the test suites need and npm cannot bring: redis-server, which @aura/redis's
# tests start on a free port of their own, and chromium, which the playground's browser test
# drives through playwright-core (playwright's own browser download cannot run here).
# Idempotent and quiet: does nothing when every program is already on the PATH; otherwise
# installs the missing ones from Debian (run as root).
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-system-deps: missing ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# apt's chatter goes to a log that is shown only when something fails.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-system-deps: could not install ${missing[*]}" >&2
  exit 1
fi
# The Debian package starts a system-wide server on 6379; the tests start their own, so a
# running daemon is left as it is (stopping it could disturb something else on the machine).
for program in "${missing[@]}"; do
  command -v "$program" >/dev/null 2>&1 || {
    echo "ensure-system-deps: $program is still missing after apt-get install" >&2
    exit 1
  }
done
