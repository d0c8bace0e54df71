#!/usr/bin/env bash
# Runs kube-bench on chosen nodes of one AKS cluster, from inside the run-command pod.
#
# The run-command pod (namespace aks-command, non-root, no host access) cannot read node files,
# so this script creates one Job per node in the scan namespace (one fixed name, default
# aks-fleet-scanner, so that admission policies can exempt it by name), waits for them within a
# fixed budget and prints each node's result. It leaves its Jobs behind: they stop at their
# activeDeadlineSeconds and Kubernetes removes them ttlSecondsAfterFinished later (aksfs-job.yaml),
# so a second command of the same scan and batch, even one that arrives after this one ended,
# finds them and prints their results instead of running kube-bench again.
#
# Nodes are chosen in the cluster, not from ARM's pool names: every Ready Linux node except
# virtual-kubelet ones, grouped by kubernetes.azure.com/agentpool or, for Karpenter nodes (node
# auto-provisioning, AKS Automatic), karpenter.sh/nodepool.
#
# Output contract (stdout): for each node either the Job's pod log, which holds the envelope of
# src/model/envelope.ts, or one line
#   ===AKSFS-STATUS v1 node=<node> pool=<group> status=<status> reason=<text>===
# Progress and diagnostics go to stderr; "[aksfs] groups: a,b" names every group found. Exit 0 when
# the script ran to the end, even if nodes failed (they are reported per node); exit 2 when it
# could not do its job at all.
#
# Inputs: scan.env next to this script (keys in contract.ts), aksfs-job.yaml and aksfs-nodes.jq. Tunables for
# tests and slow clusters, all optional: AKSFS_POLL_SECONDS, AKSFS_UNSCHEDULABLE_GRACE,
# AKSFS_REQUEST_TIMEOUT, AKSFS_LEFTOVER_AGE.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# fd 9 is the original stderr: a trap can fire inside a function whose stderr is redirected to a
# file (k ... 2>file), and its message must still reach run-command's log.
exec 9>&2
log() { printf '[aksfs] %s\n' "$*" >&9; }
die() {
  log "error: $*"
  exit 2
}

# Node and pool names come from the cluster, which may be hostile: outside the characters of a
# node name or label value they could break the line's fields, so they are replaced.
safe_name() { printf '%s' "${1//[^A-Za-z0-9._-]/_}"; }

# One line per node that produced no log of its own; the same text formatStatusLine emits.
status_line() {
  local node pool status="$3" reason="$4"
  node="$(safe_name "$1")"
  pool="$(safe_name "$2")"
  reason="${reason//$'\r'/ }"
  reason="${reason//$'\n'/ }"
  reason="${reason//===/= = =}"
  reason="$(printf '%s' "$reason" | sed -e 's/^ *//' -e 's/ *$//' | cut -c1-300)"
  printf '===AKSFS-STATUS v1 node=%s pool=%s status=%s reason=%s===\n' "$node" "$pool" "$status" "$reason"
}

# The command pod's documented tools are kubectl, jq, grep and awk; the others are assumed from
# its base image, so each is checked and a missing one is named instead of failing mid-way.
missing=()
for tool in kubectl jq awk sed grep cut head tail wc sort paste mktemp sleep; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  status_line - - failed "the run-command pod lacks ${missing[*]}"
  die "missing tools: ${missing[*]}"
fi

[[ -r "$here/scan.env" ]] || die "scan.env not found next to $0"
[[ -r "$here/aksfs-job.yaml" ]] || die "aksfs-job.yaml not found next to $0"
[[ -r "$here/aksfs-nodes.jq" ]] || die "aksfs-nodes.jq not found next to $0"

# shellcheck source=/dev/null
source "$here/scan.env"

: "${AKSFS_SCAN_ID:?scan.env has no AKSFS_SCAN_ID}"
: "${AKSFS_BENCHMARK:?scan.env has no AKSFS_BENCHMARK}"
: "${AKSFS_SELECT:?scan.env has no AKSFS_SELECT}"
AKSFS_POOLS="${AKSFS_POOLS:-}"
AKSFS_NAMESPACE="${AKSFS_NAMESPACE:-aks-fleet-scanner}"
AKSFS_IMAGE="${AKSFS_IMAGE:-docker.io/aquasec/kube-bench:v0.15.6}"
AKSFS_BATCH_INDEX="${AKSFS_BATCH_INDEX:-0}"
AKSFS_BATCH_SIZE="${AKSFS_BATCH_SIZE:-0}"
AKSFS_JOB_TIMEOUT="${AKSFS_JOB_TIMEOUT:-180}"
poll_seconds="${AKSFS_POLL_SECONDS:-5}"
unschedulable_grace="${AKSFS_UNSCHEDULABLE_GRACE:-45}"
request_timeout="${AKSFS_REQUEST_TIMEOUT:-30s}"
leftover_age="${AKSFS_LEFTOVER_AGE:-3600}"

# Values end up in YAML and in Kubernetes names and labels.
[[ "$AKSFS_SCAN_ID" =~ ^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$ ]] ||
  die "AKSFS_SCAN_ID must be 1-40 lower-case letters, digits or '-' (it names Jobs kb-<id>-<n>), not '$AKSFS_SCAN_ID'"
[[ "$AKSFS_NAMESPACE" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || die "AKSFS_NAMESPACE '$AKSFS_NAMESPACE' is not a namespace name"
[[ "$AKSFS_BENCHMARK" =~ ^[A-Za-z0-9._-]+$ ]] || die "AKSFS_BENCHMARK '$AKSFS_BENCHMARK' is not a benchmark name"
[[ "$AKSFS_IMAGE" =~ ^[A-Za-z0-9._:/@-]+$ ]] || die "AKSFS_IMAGE '$AKSFS_IMAGE' is not an image reference"
[[ "$AKSFS_SELECT" == per-pool || "$AKSFS_SELECT" == all ]] || die "AKSFS_SELECT must be per-pool or all, not '$AKSFS_SELECT'"
[[ "$AKSFS_POOLS" =~ ^([a-z0-9]+(,[a-z0-9]+)*)?$ ]] || die "AKSFS_POOLS must be comma-separated pool names, not '$AKSFS_POOLS'"
for n in AKSFS_BATCH_INDEX AKSFS_BATCH_SIZE AKSFS_JOB_TIMEOUT; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || die "$n must be a whole number, not '${!n}'"
done
[[ "$AKSFS_BATCH_SIZE" -gt 0 ]] || die "AKSFS_BATCH_SIZE must be above 0"
[[ "$AKSFS_JOB_TIMEOUT" -gt 0 ]] || die "AKSFS_JOB_TIMEOUT must be above 0"
[[ "$unschedulable_grace" =~ ^[0-9]+$ ]] || die "AKSFS_UNSCHEDULABLE_GRACE must be a whole number of seconds"

ns="$AKSFS_NAMESPACE"
scan_label="aksfs.io/scan=$AKSFS_SCAN_ID"
# No source confirms that /tmp is writable in the command pod; its working directory
# (/command-files, where the context was unzipped) is the fallback.
work="$(mktemp -d "${TMPDIR:-/tmp}/aksfs.XXXXXX" 2>/dev/null || mktemp -d "$here/aksfs.XXXXXX" 2>/dev/null)" ||
  die "no writable directory for work files (tried ${TMPDIR:-/tmp} and $here)"
# The command pod has no writable HOME; kubectl wants one for its cache.
export HOME="$work"
napper=""

k() { kubectl --request-timeout="$request_timeout" "$@"; }

# The Jobs are not deleted on the way out (see the top): a Job still running stops at its
# activeDeadlineSeconds, a little after this script's own budget.
cleanup() {
  [[ -z "$napper" ]] || kill "$napper" 2>/dev/null || true
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

# kube-bench's own mapping for AKS (cmd/util.go getPlatformBenchmarkVersion), as in plan.ts:
# 1.19-1.24 -> aks-1.0, 1.29-1.31 -> aks-1.7, every other version -> aks-1.8. Chosen per node
# from its kubelet, because pools can lag behind the control plane.
benchmark_for() {
  local minor=999
  if [[ "$AKSFS_BENCHMARK" != auto ]]; then
    echo "$AKSFS_BENCHMARK"
    return
  fi
  [[ "$1" =~ ^v?1\.([0-9]+) ]] && minor="${BASH_REMATCH[1]}"
  if ((minor <= 24)); then
    echo aks-1.0
  elif ((minor >= 29 && minor <= 31)); then
    echo aks-1.7
  else
    echo aks-1.8
  fi
}

# --- The scan namespace --------------------------------------------------------------------------
# One fixed namespace that owners exempt from admission policies by name. It normally exists
# (infra/kubernetes/aksfs-scanner-rbac.yaml creates it); with cluster-admin credentials the script
# creates it the first time.
create_namespace() {
  k create -f - >/dev/null 2>"$work/ns.err" <<EOF # rbac: optional (a cluster admin; the shipped roles do not grant it)
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    app.kubernetes.io/managed-by: aks-fleet-scanner
    pod-security.kubernetes.io/enforce: privileged
EOF
}
if ! k get jobs -n "$ns" -l app.kubernetes.io/managed-by=aks-fleet-scanner -o json >"$work/jobs.json" 2>"$work/jobs.err"; then
  grep -qiE 'namespaces? "[^"]*" not found' "$work/jobs.err" || die "cannot list Jobs in namespace $ns: $(head -c 500 "$work/jobs.err")"
  log "namespace $ns does not exist; creating it"
  create_namespace ||
    die "namespace $ns does not exist and cannot be created (apply infra/kubernetes/aksfs-scanner-rbac.yaml): $(head -c 500 "$work/ns.err")"
  # The Job controller cannot create pods until the namespace's default ServiceAccount exists.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    k get serviceaccount default -n "$ns" -o name >/dev/null 2>&1 && break # rbac: optional
    nap 1
  done
  echo '{"items":[]}' >"$work/jobs.json"
fi

# --- Jobs of earlier scans ---------------------------------------------------------------------
# Kubernetes removes finished Jobs after their ttlSecondsAfterFinished; this sweep removes what it
# left (a cluster whose TTL controller lags, a Job that never finished), once older than the
# leftover age, which is longer than a Job's deadline and TTL together (request.test.ts holds it).
jq -r --argjson age "$leftover_age" --arg self "$AKSFS_SCAN_ID" '
  .items[]
  | select(.metadata.labels["aksfs.io/scan"] != $self)
  | select((now - (.metadata.creationTimestamp | fromdateiso8601)) > $age)
  | .metadata.name' "$work/jobs.json" >"$work/leftovers.txt" 2>/dev/null || : >"$work/leftovers.txt"
while read -r old; do
  log "deleting leftover Job $old"
  k delete job "$old" -n "$ns" --ignore-not-found --wait=false --cascade=background >/dev/null 2>&1 || log "could not delete leftover Job $old"
done <"$work/leftovers.txt"
# A second command for this scan and batch (the scanner's worker died between ARM accepting the
# first and recording it, and the redelivered message POSTed again, possibly minutes later): the
# first attempt's Jobs are this scan's Jobs, running or finished. Their names are deterministic
# (kb-<scan>-<n>), so applying the same manifests below changes nothing and no second set of
# kube-bench pods runs; this attempt waits for the same Jobs and prints their results.
earlier="$(jq --arg self "$AKSFS_SCAN_ID" '[.items[] | select(.metadata.labels["aksfs.io/scan"] == $self)] | length' "$work/jobs.json" 2>/dev/null || echo 0)"
if [[ "$earlier" != 0 ]]; then
  log "reusing the $earlier Job(s) of an earlier attempt of scan $AKSFS_SCAN_ID"
fi

# --- Nodes -------------------------------------------------------------------------------------
k get nodes -l kubernetes.io/os=linux -o json >"$work/nodes.json" 2>"$work/nodes.err" ||
  die "cannot list nodes: $(head -c 500 "$work/nodes.err")"

# Ready Linux nodes that can run a pod, one line each (the columns are listed in aksfs-nodes.jq).
jq -r -f "$here/aksfs-nodes.jq" "$work/nodes.json" >"$work/ready.tsv" ||
  die "cannot read the node list (not the JSON of a NodeList?)"

log "groups: $(cut -f 2 "$work/ready.tsv" | sort -u | paste -sd, -)"

# per-pool: ARM agent pools with no Ready Linux node in the cluster are reported, not dropped.
if [[ "$AKSFS_SELECT" == per-pool && -n "$AKSFS_POOLS" && "$AKSFS_BATCH_INDEX" == 0 ]]; then
  IFS=',' read -r -a arm_pools <<<"$AKSFS_POOLS"
  for pool in "${arm_pools[@]}"; do
    awk -F '\t' -v p="$pool" '$2 == p { found = 1 } END { exit !found }' "$work/ready.tsv" ||
      status_line - "$pool" not-started "no Ready Linux node in pool $pool"
  done
fi

if [[ "$AKSFS_SELECT" == per-pool ]]; then
  # One node per group, groups in name order; a cordoned node still runs the Job (it tolerates
  # the node's taints) but is the last choice.
  awk -F '\t' '
    !($2 in seen) { seen[$2] = 1; order[++n] = $2 }
    $3 == "0" && !($2 in pick) { pick[$2] = $0 }
    !($2 in first) { first[$2] = $0 }
    END { for (i = 1; i <= n; i++) { g = order[i]; print ((g in pick) ? pick[g] : first[g]) } }' "$work/ready.tsv" |
    sort -t $'\t' -k 2,2 >"$work/candidates.tsv"
  unit=groups
else
  cp "$work/ready.tsv" "$work/candidates.tsv"
  unit=nodes
fi
start=$((AKSFS_BATCH_INDEX * AKSFS_BATCH_SIZE))
awk -v f="$start" -v n="$AKSFS_BATCH_SIZE" 'NR > f && NR <= f + n' "$work/candidates.tsv" >"$work/targets.tsv"
total="$(wc -l <"$work/candidates.tsv" | tr -d ' ')"
picked="$(wc -l <"$work/targets.tsv" | tr -d ' ')"
log "batch $AKSFS_BATCH_INDEX: $picked of $total Ready Linux $unit, from position $start"

if [[ "$picked" -eq 0 ]]; then
  log "no node to scan"
  exit 0
fi
# The nodes this command scans: the scanner refuses a result for any node not listed here.
printf '===AKSFS-PLAN v1 nodes=%s===\n' "$(cut -f 1 "$work/targets.tsv" | sed 's/[^A-Za-z0-9._-]/_/g' | paste -sd, -)"

# Admission webhooks (Gatekeeper, Azure Policy) and Pod Security say "denied" or "forbidden";
# RBAC also says "forbidden" but names the verb the caller lacks, and a missing ServiceAccount is
# a passing state of a new namespace.
is_denial() {
  grep -qiE 'denied the request|denied request|violates PodSecurity|admission webhook|forbidden' <<<"$1" &&
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
label_value='^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$'
# jq's JSON of {key, operator, effect} objects, which YAML reads as a flow sequence.
tolerations_json='^\[[A-Za-z0-9.:/",{}_-]*\]$'

declare -A job_node=() job_pool=() pending=() last_state=() last_detail=() unsched_since=()
i=0
while IFS=$'\t' read -r -u 4 node pool _ version tolerations _; do
  job="kb-$AKSFS_SCAN_ID-$i"
  i=$((i + 1))
  if [[ ! "$node" =~ $label_value || ! "$pool" =~ $label_value ]]; then
    status_line "$node" "$pool" failed "node or pool name is not usable as a label value"
    continue
  fi
  [[ "$tolerations" =~ $tolerations_json ]] || tolerations='[]'
  manifest="$template"
  manifest="${manifest//__AKSFS_JOB_NAME__/$job}"
  manifest="${manifest//__AKSFS_NAMESPACE__/$ns}"
  manifest="${manifest//__AKSFS_SCAN_ID__/$AKSFS_SCAN_ID}"
  manifest="${manifest//__AKSFS_NODE__/$node}"
  manifest="${manifest//__AKSFS_POOL__/$pool}"
  manifest="${manifest//__AKSFS_IMAGE__/$AKSFS_IMAGE}"
  manifest="${manifest//__AKSFS_BENCHMARK__/$(benchmark_for "$version")}"
  manifest="${manifest//__AKSFS_DEADLINE__/$deadline_seconds}"
  manifest="${manifest//__AKSFS_TOLERATIONS__/$tolerations}"
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
done 4<"$work/targets.tsv"
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
  k get jobs,pods -n "$ns" -l "$scan_label" -o json >"$work/state.json" 2>"$work/state.err" || {
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

# --- Namespaces left by earlier versions -----------------------------------------------------------
# Before the fixed namespace, each scan made its own, aksfs-<scan id>, labelled
# app.kubernetes.io/managed-by=aks-fleet-scanner and aksfs.io/scan; a killed scan left it behind.
# Only namespaces with both labels and that name form, older than the leftover age and never the scan
# namespace, are deleted. The shipped roles may not list namespaces: then this does nothing.
if k get namespaces -l 'app.kubernetes.io/managed-by=aks-fleet-scanner,aksfs.io/scan' -o json >"$work/oldns.json" 2>/dev/null; then # rbac: optional (the cluster-wide roles of earlier versions)
  jq -r --argjson age "$leftover_age" --arg self "$ns" '
    .items[]
    | select(.metadata.name != $self and (.metadata.name | test("^aksfs-[a-z0-9][-a-z0-9]*$")))
    | select(.metadata.labels["app.kubernetes.io/managed-by"] == "aks-fleet-scanner" and .metadata.labels["aksfs.io/scan"] != null)
    | select((now - (.metadata.creationTimestamp | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)) > $age)
    | .metadata.name' "$work/oldns.json" 2>/dev/null |
    while read -r old; do
      log "deleting namespace $old, left by an earlier version of the scanner"
      k delete namespace "$old" --ignore-not-found --wait=false >/dev/null 2>&1 || log "could not delete namespace $old" # rbac: optional
    done || log "could not read the namespace list"
fi

log "done"
