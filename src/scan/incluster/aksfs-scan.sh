#!/usr/bin/env bash
# Runs kube-bench on chosen nodes of one AKS cluster, from inside the run-command pod.
#
# The run-command pod (namespace aks-command, non-root, no host access) cannot read node files,
# so this script creates one Job per node in a namespace of its own, waits for them within a
# fixed budget, prints each node's result, and deletes the namespace on every way out.
#
# Output contract (stdout): for each node either the Job's pod log, which holds the envelope of
# src/model/envelope.ts, or one line
#   ===AKSFS-STATUS v1 node=<node> pool=<pool> status=<status> reason=<text>===
# Progress and diagnostics go to stderr. Exit 0 when the script ran to the end, even if nodes
# failed (they are reported per node); exit 2 when it could not do its job at all.
#
# Inputs: scan.env next to this script (keys in contract.ts) and aksfs-job.yaml. Tunables for
# tests and slow clusters, all optional: AKSFS_POLL_SECONDS, AKSFS_UNSCHEDULABLE_GRACE,
# AKSFS_REQUEST_TIMEOUT, AKSFS_LEFTOVER_AGE.
set -euo pipefail

# The command pod has no writable HOME; kubectl wants one for its cache.
export HOME=/tmp

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# fd 9 is the original stderr: a trap can fire inside a function whose stderr is redirected to a
# file (k ... 2>file), and its message must still reach run-command's log.
exec 9>&2
log() { printf '[aksfs] %s\n' "$*" >&9; }
die() {
  log "error: $*"
  exit 2
}

[[ -r "$here/scan.env" ]] || die "scan.env not found next to $0"
[[ -r "$here/aksfs-job.yaml" ]] || die "aksfs-job.yaml not found next to $0"
command -v kubectl >/dev/null || die "kubectl is not on PATH"
command -v jq >/dev/null || die "jq is not on PATH"

# shellcheck source=/dev/null
source "$here/scan.env"

: "${AKSFS_SCAN_ID:?scan.env has no AKSFS_SCAN_ID}"
: "${AKSFS_BENCHMARK:?scan.env has no AKSFS_BENCHMARK}"
: "${AKSFS_SELECT:?scan.env has no AKSFS_SELECT}"
: "${AKSFS_POOLS:?scan.env has no AKSFS_POOLS}"
AKSFS_IMAGE="${AKSFS_IMAGE:-docker.io/aquasec/kube-bench:v0.15.6}"
AKSFS_BATCH_INDEX="${AKSFS_BATCH_INDEX:-0}"
AKSFS_BATCH_SIZE="${AKSFS_BATCH_SIZE:-0}"
AKSFS_JOB_TIMEOUT="${AKSFS_JOB_TIMEOUT:-180}"
poll_seconds="${AKSFS_POLL_SECONDS:-5}"
unschedulable_grace="${AKSFS_UNSCHEDULABLE_GRACE:-45}"
request_timeout="${AKSFS_REQUEST_TIMEOUT:-30s}"
leftover_age="${AKSFS_LEFTOVER_AGE:-3600}"

# Values end up in YAML and in Kubernetes names and labels.
[[ "$AKSFS_SCAN_ID" =~ ^[a-z0-9]([-a-z0-9]{0,55}[a-z0-9])?$ ]] ||
  die "AKSFS_SCAN_ID must be 1-57 lower-case letters, digits or '-' (it names namespace aksfs-<id>), not '$AKSFS_SCAN_ID'"
[[ "$AKSFS_BENCHMARK" =~ ^[A-Za-z0-9._-]+$ ]] || die "AKSFS_BENCHMARK '$AKSFS_BENCHMARK' is not a benchmark name"
[[ "$AKSFS_IMAGE" =~ ^[A-Za-z0-9._:/@-]+$ ]] || die "AKSFS_IMAGE '$AKSFS_IMAGE' is not an image reference"
[[ "$AKSFS_SELECT" == per-pool || "$AKSFS_SELECT" == all ]] || die "AKSFS_SELECT must be per-pool or all, not '$AKSFS_SELECT'"
[[ "$AKSFS_POOLS" =~ ^[a-z0-9]+(,[a-z0-9]+)*$ ]] || die "AKSFS_POOLS must be comma-separated pool names, not '$AKSFS_POOLS'"
for n in AKSFS_BATCH_INDEX AKSFS_BATCH_SIZE AKSFS_JOB_TIMEOUT; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || die "$n must be a whole number, not '${!n}'"
done
[[ "$AKSFS_SELECT" != all || "$AKSFS_BATCH_SIZE" -gt 0 ]] || die "AKSFS_BATCH_SIZE must be above 0 when AKSFS_SELECT=all"
[[ "$AKSFS_JOB_TIMEOUT" -gt 0 ]] || die "AKSFS_JOB_TIMEOUT must be above 0"
[[ "$unschedulable_grace" =~ ^[0-9]+$ ]] || die "AKSFS_UNSCHEDULABLE_GRACE must be a whole number of seconds"

ns="aksfs-$AKSFS_SCAN_ID"
work="$(mktemp -d /tmp/aksfs.XXXXXX)"
napper=""

k() { kubectl --request-timeout="$request_timeout" "$@"; }

cleaned=0
cleanup() {
  [[ "$cleaned" == 1 ]] && return 0
  cleaned=1
  [[ -z "$napper" ]] || kill "$napper" 2>/dev/null || true
  # --wait=false: the namespace's finalizers may take minutes and run-command's clock is short.
  if ! k delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>"$work/delete.err"; then
    log "could not delete namespace $ns: $(head -c 300 "$work/delete.err"); it is labelled app.kubernetes.io/managed-by=aks-fleet-scanner and the next scan removes it once older than ${leftover_age}s"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Sleeps in the background so a TERM is handled at once instead of after the sleep.
nap() {
  sleep "$1" &
  napper=$!
  wait "$napper" || true
  napper=""
}

# One line per node that produced no log of its own; the same text formatStatusLine emits.
status_line() {
  local node="$1" pool="$2" status="$3" reason="$4"
  reason="${reason//$'\r'/ }"
  reason="${reason//$'\n'/ }"
  reason="${reason//===/= = =}"
  reason="$(printf '%s' "$reason" | sed -e 's/^ *//' -e 's/ *$//' | cut -c1-300)"
  printf '===AKSFS-STATUS v1 node=%s pool=%s status=%s reason=%s===\n' "$node" "$pool" "$status" "$reason"
}

# --- Leftovers of scans whose script was killed before its trap ran --------------------------
if k get namespaces -l app.kubernetes.io/managed-by=aks-fleet-scanner -o json >"$work/leftovers.json" 2>"$work/leftovers.err"; then
  jq -r --argjson age "$leftover_age" --arg self "$ns" '
    .items[]
    | select(.metadata.name != $self)
    | select((now - (.metadata.creationTimestamp | fromdateiso8601)) > $age)
    | .metadata.name' "$work/leftovers.json" >"$work/leftovers.txt" || : >"$work/leftovers.txt"
  while read -r old; do
    log "deleting leftover namespace $old"
    k delete namespace "$old" --ignore-not-found --wait=false >/dev/null 2>&1 || log "could not delete leftover namespace $old"
  done <"$work/leftovers.txt"
else
  log "could not list leftover namespaces: $(head -c 300 "$work/leftovers.err")"
fi

# --- Nodes -------------------------------------------------------------------------------------
selector="kubernetes.io/os=linux,kubernetes.azure.com/agentpool in (${AKSFS_POOLS})"
k get nodes -l "$selector" -o json >"$work/nodes.json" 2>"$work/nodes.err" ||
  die "cannot list nodes: $(head -c 500 "$work/nodes.err")"

# Ready Linux nodes of the listed pools, as "name<TAB>pool<TAB>cordoned", sorted by name.
jq -r --arg pools "$AKSFS_POOLS" '
  ($pools | split(",")) as $want
  | [.items[]
     | select(.metadata.labels["kubernetes.io/os"] == "linux")
     | select(.metadata.labels["kubernetes.azure.com/agentpool"] as $p | $want | index($p))
     | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))
     | {name: .metadata.name, pool: .metadata.labels["kubernetes.azure.com/agentpool"], cordoned: (.spec.unschedulable == true)}]
  | sort_by(.name)[]
  | [.name, .pool, (if .cordoned then "1" else "0" end)] | @tsv' "$work/nodes.json" >"$work/ready.tsv" ||
  die "cannot read the node list (not the JSON of a NodeList?)"

targets=()      # "node<TAB>pool"
if [[ "$AKSFS_SELECT" == per-pool ]]; then
  IFS=',' read -r -a pools <<<"$AKSFS_POOLS"
  for pool in "${pools[@]}"; do
    # A cordoned node still runs the Job (we tolerate its taint) but is the last choice.
    pick="$(awk -F '\t' -v p="$pool" '
      $2 == p && $3 == "0" && a == "" { a = $1 }
      $2 == p && c == "" { c = $1 }
      END { print (a != "" ? a : c) }' "$work/ready.tsv")"
    if [[ -z "$pick" ]]; then
      status_line - "$pool" not-started "no Ready Linux node in pool $pool"
    else
      targets+=("$pick"$'\t'"$pool")
    fi
  done
else
  first=$((AKSFS_BATCH_INDEX * AKSFS_BATCH_SIZE))
  while IFS=$'\t' read -r name pool _; do
    targets+=("$name"$'\t'"$pool")
  done < <(awk -v f="$first" -v n="$AKSFS_BATCH_SIZE" 'NR > f && NR <= f + n' "$work/ready.tsv")
  total="$(wc -l <"$work/ready.tsv")"
  log "batch $AKSFS_BATCH_INDEX: ${#targets[@]} of $total Ready Linux nodes, from position $first"
fi

if [[ ${#targets[@]} -eq 0 ]]; then
  log "no node to scan"
  exit 0
fi
# The nodes this command scans: the scanner refuses a result for any node not listed here.
printf '===AKSFS-PLAN v1 nodes=%s===\n' "$(printf '%s\n' "${targets[@]}" | cut -f1 | paste -sd, -)"

# --- Namespace -----------------------------------------------------------------------------------
create_namespace() {
  k create -f - >/dev/null 2>"$work/ns.err" <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    app.kubernetes.io/managed-by: aks-fleet-scanner
    aksfs.io/scan: $AKSFS_SCAN_ID
EOF
}
if ! create_namespace; then
  grep -q AlreadyExists "$work/ns.err" || die "cannot create namespace $ns: $(head -c 500 "$work/ns.err")"
  # A retry of this scan id: its Jobs and results must not be mixed with the earlier attempt's,
  # and a namespace being deleted refuses new Jobs. Start from nothing.
  log "namespace $ns already exists (an earlier attempt of this scan); replacing it"
  k delete namespace "$ns" --ignore-not-found --wait=true --timeout=60s >/dev/null 2>"$work/ns.err" ||
    die "cannot remove the earlier namespace $ns: $(head -c 500 "$work/ns.err")"
  create_namespace || die "cannot create namespace $ns: $(head -c 500 "$work/ns.err")"
fi

# The Job controller cannot create pods until the namespace's default ServiceAccount exists.
for _ in 1 2 3 4 5 6 7 8 9 10; do
  k get serviceaccount default -n "$ns" -o name >/dev/null 2>&1 && break
  nap 1
done

# Admission webhooks (Gatekeeper, Azure Policy) and Pod Security say "denied" or "forbidden";
# RBAC also says "forbidden" but names the verb the caller lacks, and a missing ServiceAccount is
# a passing state of a new namespace.
is_denial() {
  grep -qiE 'denied the request|violates PodSecurity|admission webhook|forbidden' <<<"$1" &&
    ! grep -qiE 'cannot (create|get|list|patch|update) resource|service ?account|being terminated' <<<"$1"
}

# Kubernetes RBAC refusing the identity that runs the command (not an admission policy).
is_rbac_denial() {
  grep -qiE 'cannot (create|get|list|patch|update) resource' <<<"$1"
}

# --- Jobs ------------------------------------------------------------------------------------------
template="$(cat "$here/aksfs-job.yaml")"
# Jobs stop on their own a little after the script has given up on them.
deadline_seconds=$((AKSFS_JOB_TIMEOUT + 30))

declare -A job_node=() job_pool=() pending=() last_state=() last_detail=() unsched_since=()
i=0
for t in "${targets[@]}"; do
  node="${t%%$'\t'*}"
  pool="${t#*$'\t'}"
  job="kb-$i"
  i=$((i + 1))
  if [[ ! "$node" =~ ^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$ ]]; then
    status_line "$node" "$pool" failed "node name is not usable as a label value"
    continue
  fi
  manifest="$template"
  manifest="${manifest//__AKSFS_JOB_NAME__/$job}"
  manifest="${manifest//__AKSFS_NAMESPACE__/$ns}"
  manifest="${manifest//__AKSFS_SCAN_ID__/$AKSFS_SCAN_ID}"
  manifest="${manifest//__AKSFS_NODE__/$node}"
  manifest="${manifest//__AKSFS_POOL__/$pool}"
  manifest="${manifest//__AKSFS_IMAGE__/$AKSFS_IMAGE}"
  manifest="${manifest//__AKSFS_BENCHMARK__/$AKSFS_BENCHMARK}"
  manifest="${manifest//__AKSFS_DEADLINE__/$deadline_seconds}"
  if k apply -f - >/dev/null 2>"$work/apply.err" <<<"$manifest"; then
    job_node[$job]="$node"
    job_pool[$job]="$pool"
    pending[$job]=1
    last_state[$job]=no-pod
    last_detail[$job]="the Job created no pod"
  else
    err="$(head -c 600 "$work/apply.err")"
    if is_denial "$err"; then
      status_line "$node" "$pool" admission-denied "$err"
    elif is_rbac_denial "$err"; then
      status_line "$node" "$pool" forbidden "Kubernetes RBAC: $err"
    else
      status_line "$node" "$pool" failed "kubectl apply failed: $err"
    fi
  fi
done
log "created ${#pending[@]} Job(s) in namespace $ns"

# --- Results ---------------------------------------------------------------------------------------
# Prints the pod log; returns 1 when it holds no envelope, so the caller reports the node itself.
print_log() {
  local pod="$1"
  [[ -n "$pod" ]] || return 1
  if ! k logs -n "$ns" "pod/$pod" -c kube-bench </dev/null >"$work/pod.log" 2>"$work/logs.err"; then
    log "could not read the log of pod $pod: $(head -c 300 "$work/logs.err")"
    return 1
  fi
  cat "$work/pod.log"
  [[ -s "$work/pod.log" && -n "$(tail -c 1 "$work/pod.log")" ]] && echo
  grep -q '^===AKSFS-' "$work/pod.log"
}

finish() {
  local job="$1" status="$2" detail="$3"
  unset "pending[$job]"
  status_line "${job_node[$job]}" "${job_pool[$job]}" "$status" "$detail"
}

# Jobs and pods in one call, reduced to one line per Job:
#   job<TAB>state<TAB>pod<TAB>detail
# state: complete | failed | image-pull (final) | image-pull-retry | unschedulable | pending |
# running | no-pod
poll() {
  k get jobs,pods -n "$ns" -o json >"$work/state.json" 2>"$work/state.err" || {
    log "could not read Job state: $(head -c 300 "$work/state.err")"
    return 1
  }
  jq -r '
    def cond($o; $t): [$o.status.conditions[]? | select(.type == $t and .status == "True")][0];
    def text: [.reason, .message] | map(select(. != null and . != "")) | join(": ");
    ([.items[] | select(.kind == "Pod")]) as $pods
    | .items[] | select(.kind == "Job")
    | .metadata.name as $job
    | ([$pods[] | select((.metadata.labels["batch.kubernetes.io/job-name"] // .metadata.labels["job-name"]) == $job)] | sort_by(.metadata.creationTimestamp) | last) as $pod
    | ($pod.status.containerStatuses[0]? // {}) as $cs
    | ($cs.state.waiting // {}) as $w
    | ($cs.state.terminated // {}) as $term
    | (if cond(.; "Complete") then ["complete", ""]
       elif cond(.; "Failed") then
         ["failed", ([(cond(.; "Failed") | text),
                      (if $term.exitCode != null then "container exit \($term.exitCode) \($term.reason // "")" else empty end),
                      ($pod.status | select(.reason != null) | text)]
                     | map(select(. != "")) | join("; "))]
       elif $pod == null then ["no-pod", ""]
       elif ($w.reason // "") | test("^(ImagePullBackOff|InvalidImageName|ErrImageNeverPull)$") then ["image-pull", ($w | text)]
       elif ($w.reason // "") | test("^(ErrImagePull|RegistryUnavailable)$") then ["image-pull-retry", ($w | text)]
       elif cond($pod; "PodScheduled") == null and ([$pod.status.conditions[]? | select(.type == "PodScheduled" and .reason == "Unschedulable")] | length) > 0
         then ["unschedulable", ([$pod.status.conditions[] | select(.type == "PodScheduled")][0] | text)]
       elif $pod.status.phase == "Running" then ["running", ""]
       else ["pending", (if $w.reason then ($w | text) else "pod \($pod.status.phase // "Pending")" end)]
       end) as $s
    | [$job, $s[0], ($pod.metadata.name // ""), $s[1]] | map(gsub("[\t\n\r]"; " ")) | @tsv
  ' "$work/state.json" >"$work/state.tsv" || {
    log "could not read Job state: unexpected JSON"
    return 1
  }
}

# Why the Job controller made no pod: admission webhooks and Pod Security act on the pod, so
# their denial shows only as a FailedCreate event on the Job.
failed_create() {
  local job="$1"
  k get events -n "$ns" --field-selector "involvedObject.kind=Job,involvedObject.name=$job,reason=FailedCreate" -o json </dev/null >"$work/events.json" 2>/dev/null || return 1
  jq -r '[.items[] | .message] | last // empty' "$work/events.json" 2>/dev/null
}

give_up_at=$((SECONDS + AKSFS_JOB_TIMEOUT))
while [[ ${#pending[@]} -gt 0 ]]; do
  if poll; then
    while IFS=$'\t' read -r -u 3 job state pod detail; do
      [[ -n "${pending[$job]:-}" ]] || continue
      last_state[$job]="$state"
      last_detail[$job]="$detail"
      case "$state" in
        complete)
          print_log "$pod" || finish "$job" no-output "the Job completed but its log holds no envelope"
          unset "pending[$job]"
          ;;
        failed)
          # The container prints its own STATUS line when kube-bench fails; use that if present.
          print_log "$pod" || finish "$job" failed "${detail:-the Job failed}"
          unset "pending[$job]"
          ;;
        image-pull)
          finish "$job" image-pull "$detail"
          ;;
        unschedulable)
          unsched_since[$job]="${unsched_since[$job]:-$SECONDS}"
          if ((SECONDS - ${unsched_since[$job]} >= unschedulable_grace)); then
            finish "$job" unschedulable "$detail"
          fi
          ;;
        no-pod)
          msg="$(failed_create "$job" || true)"
          if [[ -n "$msg" ]]; then
            last_detail[$job]="$msg"
            if is_denial "$msg"; then finish "$job" admission-denied "$msg"; fi
          fi
          ;;
        *) unset "unsched_since[$job]" ;;
      esac
    done 3<"$work/state.tsv"
  fi
  [[ ${#pending[@]} -gt 0 ]] || break
  ((SECONDS < give_up_at)) || break
  nap "$poll_seconds"
done

# Whatever is still open ran out of time: say how far it got.
for job in "${!pending[@]}"; do
  detail="${last_detail[$job]:-}"
  case "${last_state[$job]:-no-pod}" in
    unschedulable) finish "$job" unschedulable "$detail" ;;
    image-pull | image-pull-retry) finish "$job" image-pull "$detail" ;;
    no-pod)
      if [[ -n "$detail" ]] && is_denial "$detail"; then
        finish "$job" admission-denied "$detail"
      else
        finish "$job" not-started "no pod within ${AKSFS_JOB_TIMEOUT}s: $detail"
      fi
      ;;
    pending) finish "$job" not-started "pod not started within ${AKSFS_JOB_TIMEOUT}s: $detail" ;;
    *) finish "$job" timeout "kube-bench did not finish within ${AKSFS_JOB_TIMEOUT}s" ;;
  esac
done

log "done"
