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
  /** Nodes the script would create a Job for, in order. */
  nodes: SimNode[];
  /** Pools that yielded nothing, with why, as the script reports them. */
  empty: { pool: string; why: string }[];
}

/**
 * Mirrors the script: per-pool → the first Ready node of each listed Linux pool;
 * all → every Linux node of the listed pools, sorted by name, then the batch slice.
 */
export function chooseNodes(cluster: ClusterSpec, env: ScanEnv): NodeChoice {
  const empty: NodeChoice['empty'] = [];
  const byPool = new Map<string, SimNode[]>();
  for (const name of env.pools) {
    const pool = cluster.pools.find((p) => p.name === name);
    if (!pool) {
      empty.push({ pool: name, why: 'no such node pool' });
      continue;
    }
    if (pool.osType !== 'Linux') {
      empty.push({ pool: name, why: 'no Linux nodes (Windows pool)' });
      continue;
    }
    const nodes = poolNodes(cluster, pool);
    if (nodes.length === 0) empty.push({ pool: name, why: 'no nodes' });
    byPool.set(name, nodes);
  }
  if (env.selection === 'per-pool') {
    const nodes: SimNode[] = [];
    for (const [pool, list] of byPool) {
      const ready = list.find((n) => n.ready);
      if (ready) nodes.push(ready);
      else if (list.length > 0) empty.push({ pool, why: 'no Ready node' });
    }
    return { nodes, empty };
  }
  const all = [...byPool.values()].flat().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const start = env.batchIndex * env.batchSize;
  return { nodes: all.slice(start, start + env.batchSize), empty };
}
