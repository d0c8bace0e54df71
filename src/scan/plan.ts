/**
 * The scan plan of one cluster: which benchmark, and which run-commands. Node names are not in
 * ARM, so a plan names pools and slices; the in-cluster script picks the nodes.
 */
import { createHash } from 'node:crypto';
import type { ClusterRef } from '../model/cluster.js';
import type { Benchmark } from '../model/kube-bench.js';
import type { NodeSelection, ScanEnv } from './incluster/contract.js';
import { DEFAULT_IMAGE, DEFAULT_NAMESPACE, IMAGE_REFERENCE, IMAGE_TAG } from './incluster/contract.js';

/**
 * kube-bench's own mapping for AKS: 1.19–1.24 → aks-1.0, 1.29–1.31 → aks-1.7, every other
 * version → aks-1.8 (cmd/util.go getPlatformBenchmarkVersion).
 */
export function benchmarkForVersion(kubernetesVersion: string): Benchmark {
  const m = /^v?(\d+)\.(\d+)/.exec(kubernetesVersion.trim());
  if (!m) return 'aks-1.8';
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 1) return 'aks-1.8';
  if (minor <= 24) return 'aks-1.0';
  if (minor >= 29 && minor <= 31) return 'aks-1.7';
  return 'aks-1.8';
}

export interface PlanOptions {
  /** 'auto' follows the cluster's version. */
  benchmark: 'auto' | Benchmark;
  selection: NodeSelection;
  image?: string;
  /** The scan namespace; DEFAULT_NAMESPACE when omitted. */
  namespace?: string;
  /**
   * Nodes per run-command with selection 'all'. An aks-1.8 node result is ~6 KB in its envelope
   * (bench: scan.output_bytes_per_node), so 30 nodes stay well under the 512 kB output cap.
   */
  nodesPerCommand?: number;
  jobTimeoutSeconds?: number;
}

export interface ScanPlan {
  benchmark: Benchmark;
  linuxPools: string[];
  /** What the batches slice: node groups (per-pool) or nodes (all), as ARM counts them. */
  units: number;
  /** One ScanEnv per run-command. */
  commands: ScanEnv[];
  /** Set when the cluster's image tag is not valid: the cluster is not scanned. */
  imageProblem?: string;
}

export const DEFAULT_NODES_PER_COMMAND = 30;
/**
 * The script's wait for the Jobs. With the worst case around it (replacing a namespace left by an
 * earlier attempt, up to 60 s, and creating the Jobs), one command stays near 4 minutes, under the
 * ~5 minutes after which run-command is reported to give up.
 */
export const DEFAULT_JOB_TIMEOUT_SECONDS = 150;

/**
 * Names the namespace and Jobs in the cluster: DNS-label safe and short, and deterministic, so a
 * redelivered message reuses (and the script first cleans) the same namespace.
 */
export function scanIdFor(seed: string, batch: number): string {
  return `${createHash('sha256').update(seed).digest('hex').slice(0, 12)}-${batch}`;
}

/** The image for this cluster: its `aks-fleet-scanner-image` tag, else the configured one. */
export function imageFor(cluster: ClusterRef, configured: string | undefined): { image: string } | { problem: string } {
  const tag = Object.entries(cluster.tags).find(([k]) => k.toLowerCase() === IMAGE_TAG)?.[1];
  if (tag === undefined) return { image: configured ?? DEFAULT_IMAGE };
  if (!IMAGE_REFERENCE.test(tag.trim())) {
    return {
      problem: `tag ${IMAGE_TAG}=${JSON.stringify(tag.slice(0, 200))} must be an image reference pinned by tag or digest, e.g. myacr.azurecr.io/aquasec/kube-bench:v0.15.6`,
    };
  }
  return { image: tag.trim() };
}

export function planClusterScan(cluster: ClusterRef, scanSeed: string, opts: PlanOptions): ScanPlan {
  const benchmark = opts.benchmark === 'auto' ? benchmarkForVersion(cluster.kubernetesVersion) : opts.benchmark;
  const pools = cluster.pools.filter((p) => p.osType === 'Linux' && p.count > 0);
  const linuxPools = pools.map((p) => p.name);
  const image = imageFor(cluster, opts.image);
  const base = {
    // 'auto' goes to the cluster: the script picks per node from its kubelet, as pools lag behind.
    benchmark: opts.benchmark,
    namespace: opts.namespace ?? DEFAULT_NAMESPACE,
    image: 'image' in image ? image.image : DEFAULT_IMAGE,
    pools: linuxPools,
    jobTimeoutSeconds: opts.jobTimeoutSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS,
  };
  const perCommand = Math.max(1, opts.nodesPerCommand ?? DEFAULT_NODES_PER_COMMAND);
  // per-pool: one node per node group, groups sliced like nodes; ARM's pool count sizes the plan
  // and groups beyond it (Karpenter node pools) are reported as not covered.
  const units = opts.selection === 'per-pool' ? linuxPools.length : pools.reduce((n, p) => n + p.count, 0);
  const batches = Math.max(1, Math.ceil(units / perCommand));
  const commands = Array.from({ length: batches }, (_, i): ScanEnv => ({
    ...base,
    scanId: scanIdFor(scanSeed, i),
    selection: opts.selection,
    batchIndex: i,
    batchSize: perCommand,
  }));
  return { benchmark, linuxPools, units, commands, ...('problem' in image ? { imageProblem: image.problem } : {}) };
}
