#!/usr/bin/env bash
# Stand-in for kubectl in the aksfs-scan.sh tests. It forwards its argv (and stdin, for `-f -`)
# to the scenario server of harness.ts on 127.0.0.1:$FAKE_KUBE_PORT, which records the call and
# answers; this client prints the answer and exits with its code. Bash's /dev/tcp keeps each call
# to a few milliseconds, where a node process per call made the suite slow.
set -euo pipefail
export LC_ALL=C
body=""
for a in "$@"; do
  if [[ "$a" == "-" ]]; then
    body="$(cat)"
  fi
done
exec 3<>"/dev/tcp/127.0.0.1/${FAKE_KUBE_PORT:?FAKE_KUBE_PORT is not set}"
{
  printf '%d %d\n' "$#" "${#body}"
  for a in "$@"; do printf '%s\0' "$a"; done
  printf '%s' "$body"
} >&3
# Answer: the exit code on one line, stderr on one line, then stdout until the server closes.
# `read` takes a socket byte by byte, so nothing meant for `cat` is swallowed.
read -r code <&3
IFS= read -r err <&3
cat <&3
[[ -z "$err" ]] || printf '%s\n' "$err" >&2
exit "$code"
