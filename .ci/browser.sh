#!/usr/bin/env bash
# Makes headless Chromium available at /usr/bin/chromium for the dashboard's browser test
# (test/api/dashboard.browser.test.ts drives it through playwright-core, which downloads nothing).
#
# Debian's own `chromium` package rather than Playwright's browser download: CI and developer
# machines reach the distribution mirrors but not Playwright's CDN, and the packaged build gets
# the distribution's security updates. Does nothing when /usr/bin/chromium already exists.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
log() { printf '[browser.sh] %s\n' "$*" >&2; }

if [[ -x "$CHROMIUM" ]]; then
  log "$("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || { log "apt-get not found: install Chromium at $CHROMIUM by other means"; exit 1; }
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { log "not root and no sudo: cannot install chromium"; exit 1; }
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
$SUDO apt-get update -qq
log "apt-get install chromium"
# Bounded retries: a mirror hiccup should not fail CI, a missing package should fail it fast enough.
for attempt in 1 2 3; do
  if $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation; then
    break
  fi
  [[ $attempt == 3 ]] && { log "apt-get install chromium failed 3 times"; exit 1; }
  log "attempt $attempt failed; retrying in $((attempt * 10)) s"
  sleep $((attempt * 10))
done

[[ -x "$CHROMIUM" ]] || { log "chromium installed but $CHROMIUM is missing"; exit 1; }
log "installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
