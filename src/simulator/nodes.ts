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
  /** Pools of a per-pool selection without a Ready Linux node. */
  empty: string[];
  /** Ready Linux nodes of the listed pools (the "all" batch is a slice of these). */
  total: number;
}

/**
 * Mirrors src/scan/incluster/aksfs-scan.sh: it lists the Ready Linux nodes of the listed pools,
 * sorted by name; per-pool takes the first of each pool, all takes the batch slice.
 */
export function chooseNodes(cluster: ClusterSpec, env: ScanEnv): NodeChoice {
  const ready = cluster.pools
    .filter((p) => p.osType === 'Linux' && env.pools.includes(p.name))
    .flatMap((p) => poolNodes(cluster, p))
    .filter((n) => n.ready)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (env.selection === 'per-pool') {
    const nodes: SimNode[] = [];
    const empty: string[] = [];
    for (const pool of env.pools) {
      const first = ready.find((n) => n.pool === pool);
      if (first) nodes.push(first);
      else empty.push(pool);
    }
    return { nodes, empty, total: ready.length };
  }
  const start = env.batchIndex * env.batchSize;
  return { nodes: ready.slice(start, start + env.batchSize), empty: [], total: ready.length };
}
