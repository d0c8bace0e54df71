/**
 * The nodes of a simulated cluster and the in-cluster node choice our script makes. ARM does not
 * list nodes, so they exist only here: named the AKS way, deterministically from the spec.
 */
import type { ScanEnv } from '../scan/incluster/contract.js';
import type { ClusterSpec, PoolSpec } from './fleet-spec.js';
import { hash32 } from './random.js';

export interface SimNode {
  name: string;
  pool: string;
  osType: 'Linux' | 'Windows';
  ready: boolean;
  /** Index within its pool, in name order. */
  index: number;
}

/** AKS names VMSS nodes aks-<pool>-<8 digits>-vmss<instance id in base 36, 6 wide>. */
export function nodeName(cluster: Pick<ClusterSpec, 'subscriptionId' | 'resourceGroup' | 'name'>, pool: string, index: number): string {
  const digits = String(hash32(`${cluster.subscriptionId}/${cluster.resourceGroup}/${cluster.name}/${pool}`) % 100_000_000).padStart(8, '0');
  return `aks-${pool}-${digits}-vmss${index.toString(36).padStart(6, '0')}`;
}

export function poolNodes(cluster: ClusterSpec, pool: PoolSpec): SimNode[] {
  if (pool.powerState === 'Stopped') return [];
  return Array.from({ length: pool.count }, (_, i) => ({
    name: nodeName(cluster, pool.name, i),
    pool: pool.name,
    osType: pool.osType,
    ready: i >= pool.notReady,
    index: i,
  }));
}

export interface NodeChoice {
  /** Nodes the script creates a Job for, in order. */
  nodes: SimNode[];
  /** ARM pools of the scan without a Ready Linux node (reported by the first batch). */
  empty: string[];
  /** Node groups the cluster has (agent pools and Karpenter node pools), in name order. */
  groups: string[];
  /** Ready Linux nodes ('all') or node groups ('per-pool') the batches slice. */
  total: number;
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Mirrors src/scan/incluster/aksfs-scan.sh: the Ready Linux nodes of every group in the cluster,
 * sorted by name; per-pool takes the first node of each group, groups in name order; both then
 * take the batch slice.
 */
export function chooseNodes(cluster: ClusterSpec, env: ScanEnv): NodeChoice {
  const ready = cluster.pools
    .filter((p) => p.osType === 'Linux')
    .flatMap((p) => poolNodes(cluster, p))
    .filter((n) => n.ready)
    .sort(byName);
  const groups = [...new Set(ready.map((n) => n.pool))].sort();
  const empty = env.selection === 'per-pool' && env.batchIndex === 0 ? env.pools.filter((p) => !groups.includes(p)) : [];
  const candidates = env.selection === 'per-pool' ? groups.map((g) => ready.find((n) => n.pool === g) as SimNode) : ready;
  const start = env.batchIndex * env.batchSize;
  return { nodes: candidates.slice(start, start + env.batchSize), empty, groups, total: candidates.length };
}
