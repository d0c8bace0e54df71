/**
 * The scan plan of one cluster: which benchmark, and which run-commands. Node names are not in
 * ARM, so a plan names pools and slices; the in-cluster script picks the nodes.
 */
import { createHash } from 'node:crypto';
import type { ClusterRef } from '../model/cluster.js';
import type { Benchmark } from '../model/kube-bench.js';
import type { NodeSelection, ScanEnv } from './incluster/contract.js';
import { DEFAULT_IMAGE } from './incluster/contract.js';

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
  /** One ScanEnv per run-command. */
  commands: ScanEnv[];
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

export function planClusterScan(cluster: ClusterRef, scanSeed: string, opts: PlanOptions): ScanPlan {
  const benchmark = opts.benchmark === 'auto' ? benchmarkForVersion(cluster.kubernetesVersion) : opts.benchmark;
  const pools = cluster.pools.filter((p) => p.osType === 'Linux' && p.count > 0);
  const linuxPools = pools.map((p) => p.name);
  const base = {
    benchmark,
    image: opts.image ?? DEFAULT_IMAGE,
    pools: linuxPools,
    jobTimeoutSeconds: opts.jobTimeoutSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS,
  };
  const perCommand = Math.max(1, opts.nodesPerCommand ?? DEFAULT_NODES_PER_COMMAND);
  if (opts.selection === 'per-pool') {
    // One node per pool; pools beyond the per-command budget go into further commands.
    const commands: ScanEnv[] = [];
    for (let i = 0; i < linuxPools.length; i += perCommand) {
      const batch = commands.length;
      commands.push({
        ...base,
        pools: linuxPools.slice(i, i + perCommand),
        scanId: scanIdFor(scanSeed, batch),
        selection: 'per-pool',
        batchIndex: 0,
        batchSize: perCommand,
      });
    }
    return { benchmark, linuxPools, commands };
  }
  const nodes = pools.reduce((n, p) => n + p.count, 0);
  const batches = Math.max(1, Math.ceil(nodes / perCommand));
  const commands = Array.from({ length: batches }, (_, i): ScanEnv => ({
    ...base,
    scanId: scanIdFor(scanSeed, i),
    selection: 'all',
    batchIndex: i,
    batchSize: perCommand,
  }));
  return { benchmark, linuxPools, commands };
}
