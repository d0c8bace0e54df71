#!/usr/bin/env bash
# Lints the shell scripts that run in clusters or drive tests: Debian's shellcheck, installed
# with apt-get when missing (CI images reach the Debian mirrors).
#
# Usage: .ci/shellcheck.sh            # install if needed, lint everything below
#        .ci/shellcheck.sh --install  # install only
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[shellcheck.sh] %s\n' "$*" >&2; }

install_shellcheck() {
  # jq: the in-cluster script needs it (the run-command pod has it), so its tests do too.
  command -v shellcheck >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || { log "shellcheck is missing and apt-get is not available: install shellcheck"; exit 1; }
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  log "installing shellcheck with apt-get"
  if ! $sudo apt-get install -y shellcheck jq >/dev/null 2>&1; then
    # A fresh image has no package lists yet.
    $sudo apt-get update >/dev/null
    $sudo apt-get install -y shellcheck jq >/dev/null
  fi
}

install_shellcheck
[[ "${1:-}" == "--install" ]] && { command -v shellcheck; exit 0; }

scripts=(
  src/scan/incluster/aksfs-scan.sh
  test/scan/incluster/fake-kubectl.sh
  .ci/shellcheck.sh
)
cd "$repo_root"
shellcheck --version | sed -n 2p >&2
shellcheck --shell=bash --severity=style "${scripts[@]}"
log "ok: ${#scripts[@]} scripts"
