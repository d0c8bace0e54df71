#!/usr/bin/env bash
# Checks, from inside the run-command pod, that a scan of this cluster can work, without scanning
# it: `aks-fleet-scanner doctor` sends this script, the scan's own Job template and doctor.env in
# one run-command (src/doctor/request.ts).
#
# Output contract (stdout), one line per check, in this order:
#   ===AKSFS-CHECK v1 check=<id> status=<pass|fail|skip> detail=<text>===
# ids: command-pod, rbac, namespace, nodes, admission, image, capacity (src/model/doctor.ts).
# Progress goes to stderr. Exit 0 when every check was reported, pass or fail; 2 when the script
# could not start (no doctor.env).
#
# What each check does:
#   command-pod  the pod's user, a writable work directory, and each tool aksfs-scan.sh needs
#   rbac         `kubectl auth can-i` for each permission a scan needs (AKSFS_CAN_I, from the
#                roles in infra/kubernetes/aksfs-scanner-rbac.yaml)
#   namespace    the scan namespace exists, or this identity may create it
#   nodes        the Ready Linux nodes and their groups (agent pools, Karpenter node pools)
#   admission    a server-side dry run of the real Job for one node (nothing is created), then the
#                check Job below, whose pod has the scan's spec: admission policies that match
#                Pods (Gatekeeper, Azure Policy, Pod Security) judge pods, not Jobs
#   image        the check Job's pod pulls the image (imagePullPolicy Always) and runs
#                `kube-bench version`, which reads no node file, then exits
#   capacity     the scheduler placed that pod, with the scan Job's requests, on the node
# The check Job has the scan Job's labels plus aksfs.io/doctor and is deleted on every way out.
#
# Inputs: doctor.env next to this script (AKSFS_NAMESPACE, AKSFS_IMAGE, AKSFS_DOCTOR_ID,
# AKSFS_TOOLS, AKSFS_CAN_I, AKSFS_WAIT_SECONDS), aksfs-job.yaml and aksfs-nodes.jq. Tunable:
# AKSFS_POLL_SECONDS.
# Not set -e: each check reports its own failure and the next one still runs.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec 9>&2
log() { printf '[aksfs-doctor] %s\n' "$*" >&9; }

check() {
  local id="$1" status="$2" detail="$3"
  detail="${detail//$'\r'/ }"
  detail="${detail//$'\n'/ }"
  detail="${detail//===/= = =}"
  detail="$(printf '%s' "$detail" | sed -e 's/^ *//' -e 's/ *$//' | cut -c1-600)"
  printf '===AKSFS-CHECK v1 check=%s status=%s detail=%s===\n' "$id" "$status" "$detail"
}

[[ -r "$here/doctor.env" ]] || {
  log "error: doctor.env not found next to $0"
  exit 2
}
# shellcheck source=/dev/null
source "$here/doctor.env"
ns="${AKSFS_NAMESPACE:-aks-fleet-scanner}"
image="${AKSFS_IMAGE:-docker.io/aquasec/kube-bench:v0.15.6}"
id="${AKSFS_DOCTOR_ID:-doctor}"
wait_seconds="${AKSFS_WAIT_SECONDS:-90}"
poll_seconds="${AKSFS_POLL_SECONDS:-2}"
[[ "$ns" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || ns=aks-fleet-scanner
[[ "$image" =~ ^[A-Za-z0-9._:/@-]+$ ]] || image=invalid
[[ "$id" =~ ^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$ ]] || id=doctor
[[ "$wait_seconds" =~ ^[0-9]+$ ]] || wait_seconds=90
job="aksfs-doctor-$id"

# --- command-pod -----------------------------------------------------------------------------------
missing=()
IFS=',' read -r -a tools <<<"${AKSFS_TOOLS:-kubectl,jq}"
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
writable=()
for d in "${TMPDIR:-/tmp}" "$here"; do
  [[ -d "$d" && -w "$d" ]] && writable+=("$d")
done
work="$(mktemp -d "${TMPDIR:-/tmp}/aksfs-doctor.XXXXXX" 2>/dev/null || mktemp -d "$here/aksfs-doctor.XXXXXX" 2>/dev/null)" || work=""
user="uid $(id -u 2>/dev/null || echo '?') ($(id -un 2>/dev/null || echo 'no name'))"
# The remaining checks need kubectl, jq and a place for their files.
if [[ ${#missing[@]} -gt 0 || -z "$work" ]]; then
  why="${missing[*]:+missing tools: ${missing[*]}}"
  [[ -n "$work" ]] || why="${why:+$why; }no writable directory (tried ${TMPDIR:-/tmp} and $here)"
  check command-pod fail "$user; $why"
  for c in rbac namespace nodes admission image capacity; do check "$c" skip "the command pod cannot run the checks ($why)"; done
  exit 0
fi
export HOME="$work"
check command-pod pass "$user; writable: ${writable[*]}; tools: ${tools[*]}"

k() { kubectl --request-timeout=30s "$@"; }
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  k delete job "$job" -n "$ns" --ignore-not-found --wait=false --cascade=background >/dev/null 2>&1 || log "could not delete the check Job $job"
  rm -rf "$work"
}
trap cleanup EXIT

# --- rbac ------------------------------------------------------------------------------------------
# AKSFS_CAN_I: verb:resource:scope items, scope "ns" (the scan namespace) or "cluster".
denied=()
IFS=',' read -r -a wants <<<"${AKSFS_CAN_I:-}"
for want in "${wants[@]}"; do
  IFS=':' read -r verb resource scope <<<"$want"
  if [[ "$scope" == ns ]]; then
    answer="$(k auth can-i "$verb" "$resource" -n "$ns" 2>&1)"
  else
    answer="$(k auth can-i "$verb" "$resource" 2>&1)"
  fi
  [[ "$answer" == yes* ]] || denied+=("$verb $resource${answer:+ ($(head -c 120 <<<"$answer"))}")
done
if [[ ${#wants[@]} -eq 0 ]]; then
  check rbac skip "doctor.env lists no permission to check"
elif [[ ${#denied[@]} -eq 0 ]]; then
  check rbac pass "all ${#wants[@]} permissions a scan needs are granted in namespace $ns and for nodes"
else
  check rbac fail "not granted: $(printf '%s; ' "${denied[@]}")"
fi

# --- namespace -------------------------------------------------------------------------------------
if k get jobs -n "$ns" -l app.kubernetes.io/managed-by=aks-fleet-scanner -o name >"$work/jobs.txt" 2>"$work/jobs.err"; then
  check namespace pass "namespace $ns exists ($(wc -l <"$work/jobs.txt" | tr -d ' ') Job(s) of earlier scans)"
  ns_ok=1
elif grep -qiE 'namespaces? "[^"]*" not found' "$work/jobs.err"; then
  if [[ "$(k auth can-i create namespaces 2>/dev/null)" == yes* ]]; then
    check namespace pass "namespace $ns does not exist; the first scan creates it (this identity may create namespaces)"
  else
    check namespace fail "namespace $ns does not exist and this identity cannot create it"
  fi
  ns_ok=0
else
  check namespace fail "cannot list Jobs in namespace $ns: $(head -c 400 "$work/jobs.err")"
  ns_ok=0
fi

# --- nodes -----------------------------------------------------------------------------------------
# The same choice as aksfs-scan.sh, by the same program (aksfs-nodes.jq): Ready Linux nodes except
# virtual-kubelet ones, grouped by agentpool or karpenter.sh/nodepool; the first group's first
# schedulable node is checked.
target=""
if k get nodes -l kubernetes.io/os=linux -o json >"$work/nodes.json" 2>"$work/nodes.err" &&
  jq -r -f "$here/aksfs-nodes.jq" "$work/nodes.json" >"$work/ready.tsv" 2>"$work/nodes.err"; then
  count="$(wc -l <"$work/ready.tsv" | tr -d ' ')"
  if [[ "$count" -eq 0 ]]; then
    check nodes fail "no Ready Linux node (kube-bench runs on Linux nodes only)"
  else
    groups="$(awk -F '\t' '{ n[$2]++; k[$2] = $6 } END { for (g in n) printf "%s (%s, %d)\n", g, k[g], n[g] }' "$work/ready.tsv" | sort | paste -sd ';' - | sed 's/;/, /g')"
    first_group="$(cut -f 2 "$work/ready.tsv" | sort | head -n 1)"
    target_line="$(awk -F '\t' -v g="$first_group" '$2 == g && $3 == "0" { print; exit }' "$work/ready.tsv")"
    [[ -n "$target_line" ]] || target_line="$(awk -F '\t' -v g="$first_group" '$2 == g { print; exit }' "$work/ready.tsv")"
    IFS=$'\t' read -r target target_group _ _ tolerations _ target_alloc <<<"$target_line"
    check nodes pass "$count Ready Linux node(s) in groups: $groups; checking on $target (group $target_group)"
  fi
else
  check nodes fail "cannot list nodes: $(head -c 400 "$work/nodes.err")"
fi

# --- admission, image, capacity --------------------------------------------------------------------
is_denial() {
  grep -qiE 'denied the request|denied request|violates PodSecurity|admission webhook' <<<"$1"
}
if [[ -z "$target" ]]; then
  for c in admission image capacity; do check "$c" skip "no Ready Linux node to check on"; done
  exit 0
fi
if [[ "$ns_ok" != 1 ]]; then
  for c in admission image capacity; do check "$c" skip "the scan namespace $ns is not usable (see namespace)"; done
  exit 0
fi
label_value='^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$'
[[ "$target" =~ $label_value && "$target_group" =~ $label_value ]] || target_group=doctor
[[ "$tolerations" =~ ^\[[A-Za-z0-9.:/\",{}_-]*\]$ ]] || tolerations='[]'
manifest="$(cat "$here/aksfs-job.yaml")"
manifest="${manifest//__AKSFS_JOB_NAME__/$job}"
manifest="${manifest//__AKSFS_NAMESPACE__/$ns}"
manifest="${manifest//__AKSFS_SCAN_ID__/$id}"
manifest="${manifest//__AKSFS_NODE__/$target}"
manifest="${manifest//__AKSFS_POOL__/$target_group}"
manifest="${manifest//__AKSFS_IMAGE__/$image}"
manifest="${manifest//__AKSFS_BENCHMARK__/aks-1.8}"
manifest="${manifest//__AKSFS_DEADLINE__/$((wait_seconds + 30))}"
manifest="${manifest//__AKSFS_TOLERATIONS__/$tolerations}"

if ! k create --dry-run=server -n "$ns" -f - -o name >/dev/null 2>"$work/dry.err" <<<"$manifest"; then
  err="$(head -c 500 "$work/dry.err")"
  if is_denial "$err"; then
    check admission fail "the scan's Job was denied (server-side dry run): $err"
  else
    check admission fail "the server-side dry run of the scan's Job failed: $err"
  fi
  for c in image capacity; do check "$c" skip "the scan's Job cannot be created (see admission)"; done
  exit 0
fi

# The check Job: the scan Job's spec, but it runs `kube-bench version` and always pulls.
if ! k create --dry-run=client -f - -o json <<<"$manifest" 2>"$work/conv.err" |
  jq -c --arg id "$id" '
    .metadata.labels["aksfs.io/doctor"] = $id
    | .spec.template.metadata.labels["aksfs.io/doctor"] = $id
    | .spec.ttlSecondsAfterFinished = 60
    | .spec.template.spec.containers[0].command = ["kube-bench", "version"]
    | .spec.template.spec.containers[0].imagePullPolicy = "Always"' >"$work/check-job.json" 2>>"$work/conv.err"; then
  check admission fail "the scan's Job was admitted by a server-side dry run, but its pod could not be tried: $(head -c 300 "$work/conv.err")"
  for c in image capacity; do check "$c" skip "the check Job could not be built"; done
  exit 0
fi
if ! k create -f - >/dev/null 2>"$work/create.err" <"$work/check-job.json"; then
  err="$(head -c 500 "$work/create.err")"
  if is_denial "$err"; then check admission fail "the check Job was denied: $err"; else check admission fail "cannot create the check Job: $err"; fi
  for c in image capacity; do check "$c" skip "the check Job could not be created (see admission)"; done
  exit 0
fi

state="" detail=""
give_up=$((SECONDS + wait_seconds))
while ((SECONDS < give_up)); do
  if k get jobs,pods -n "$ns" -l "aksfs.io/doctor=$id" -o json >"$work/state.json" 2>/dev/null; then
    IFS=$'\t' read -r state detail < <(jq -r '
      def text: [.reason, .message] | map(select(. != null and . != "")) | join(": ");
      ([.items[] | select(.kind == "Pod")] | last) as $pod
      | ([.items[] | select(.kind == "Job")][0]) as $job
      | ($pod.status.containerStatuses[0]? // {}) as $cs
      | ($cs.state.waiting // {}) as $w
      | (if $pod == null then ["no-pod", ""]
         elif ([$job.status.conditions[]? | select(.type == "Complete" and .status == "True")] | length) > 0 or $pod.status.phase == "Succeeded" then ["complete", ""]
         elif ($w.reason // "") | test("^(ImagePullBackOff|ErrImagePull|InvalidImageName|ErrImageNeverPull|RegistryUnavailable)$") then ["image-pull", ($w | text)]
         elif ([$pod.status.conditions[]? | select(.type == "PodScheduled" and .reason == "Unschedulable")] | length) > 0
           then ["unschedulable", ([$pod.status.conditions[] | select(.type == "PodScheduled")][0] | text)]
         elif $pod.status.phase == "Failed" then ["failed", ($cs.state.terminated // {} | "exit \(.exitCode // "?") \(.reason // "")")]
         else ["pending", ($w | text)] end)
      | map(gsub("[\t\n\r]"; " ")) | @tsv' "$work/state.json" 2>/dev/null)
    case "$state" in
      complete | image-pull | unschedulable | failed) break ;;
      no-pod)
        if k get events -n "$ns" --field-selector "involvedObject.kind=Job,involvedObject.name=$job,reason=FailedCreate" -o json >"$work/events.json" 2>/dev/null; then
          detail="$(jq -r '[.items[] | .message] | last // empty' "$work/events.json" 2>/dev/null)"
          [[ -n "$detail" ]] && is_denial "$detail" && break
        fi
        ;;
    esac
  fi
  sleep "$poll_seconds"
done

ran_on="the check pod (the scan's spec, running kube-bench version) on $target"
case "$state" in
  complete)
    check admission pass "the scan's Job (server-side dry run) and its pod were admitted in namespace $ns"
    check image pass "$ran_on pulled $image and exited"
    check capacity pass "$target had room for the scan Job's requests ($target_alloc)"
    ;;
  image-pull)
    check admission pass "the scan's Job (server-side dry run) and its pod were admitted in namespace $ns"
    check image fail "$target cannot pull $image: $detail"
    check capacity pass "$target had room for the scan Job's requests ($target_alloc)"
    ;;
  unschedulable)
    check admission pass "the scan's Job (server-side dry run) and its pod were admitted in namespace $ns"
    check image skip "the check pod was not scheduled (see capacity)"
    check capacity fail "no room on $target for the scan Job's requests: $detail"
    ;;
  failed)
    check admission pass "the scan's Job (server-side dry run) and its pod were admitted in namespace $ns"
    check image fail "$ran_on pulled the image but failed ($detail): is $image kube-bench?"
    check capacity pass "$target had room for the scan Job's requests ($target_alloc)"
    ;;
  no-pod)
    if [[ -n "$detail" ]] && is_denial "$detail"; then
      check admission fail "the scan's pod was denied (its Job passed a server-side dry run): $detail"
    else
      check admission fail "the check Job created no pod within ${wait_seconds}s${detail:+: $detail}"
    fi
    for c in image capacity; do check "$c" skip "the check pod was not created (see admission)"; done
    ;;
  *)
    check admission pass "the scan's Job (server-side dry run) and its pod were admitted in namespace $ns"
    check image fail "$ran_on did not finish within ${wait_seconds}s${detail:+: $detail}"
    check capacity skip "not known: the check pod did not start"
    ;;
esac
exit 0
