# The nodes a scan may use, from `kubectl get nodes -o json`: one source for aksfs-scan.sh and
# aksfs-doctor.sh, shipped next to them in the run-command's context (contract.ts NODES_FILE).
#
# Every Ready Linux node except virtual-kubelet ones (they cannot run kube-bench), grouped by
# kubernetes.azure.com/agentpool or, for Karpenter nodes (node auto-provisioning, AKS Automatic),
# karpenter.sh/nodepool. One tab-separated line per node, sorted by name, no field ever empty:
#   1 name  2 group  3 cordoned (1 or 0)  4 kubelet version  5 tolerations  6 group kind  7 allocatable
# The tolerations are exactly the node's own taints (key and effect, any value), as JSON: AKS
# Automatic refuses broad wildcard tolerations.
[.items[]
 | select(.metadata.labels["kubernetes.io/os"] == "linux")
 | select((.metadata.labels.type // "") != "virtual-kubelet")
 | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))
 | {name: .metadata.name,
    group: (.metadata.labels["kubernetes.azure.com/agentpool"] // .metadata.labels["karpenter.sh/nodepool"] // "-"),
    kind: (if .metadata.labels["kubernetes.azure.com/agentpool"] then "agent pool" elif .metadata.labels["karpenter.sh/nodepool"] then "Karpenter" else "no group" end),
    cordoned: (.spec.unschedulable == true),
    version: (.status.nodeInfo.kubeletVersion // "-"),
    alloc: "\(.status.allocatable.cpu // "?") CPU, \(.status.allocatable.memory // "?") memory allocatable",
    tolerations: ([.spec.taints[]? | {key, operator: "Exists", effect}] | tojson)}]
| sort_by(.name)[]
| [.name, .group, (if .cordoned then "1" else "0" end), .version, .tolerations, .kind, .alloc] | @tsv
