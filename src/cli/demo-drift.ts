/**
 * What changes in the simulated fleet between two demo rounds, so the second round's digest has
 * something of every kind to say: new FAILs, fixes, a cluster across a benchmark boundary
 * (1.31 on aks-1.7 → 1.32 on aks-1.8), a cluster that starts failing to scan, and (with the demo's
 * waiver file and a clock one day on) a waiver that expires.
 */
import type { ClusterSpec, FleetSpec } from '../simulator/index.js';

export interface Drift {
  fleet: FleetSpec;
  /** Cluster names per change, for the demo's log. */
  newlyFailing: string[];
  fixed: string[];
  upgraded: string | null;
  scanFails: string | null;
}

/** Kubelet checks that aks-1.7 and aks-1.8 both number 3.2.1 and 3.2.2 (anonymous auth, authorization mode). */
const NEW_FAILS = ['3.2.1', '3.2.2'];

function ordinary(c: ClusterSpec): boolean {
  return (
    c.faults.length === 0 &&
    c.powerState === 'Running' &&
    !c.runCommandDisabled &&
    c.pools.every((p) => p.osType === 'Linux' && !p.nodeStatus && p.powerState === 'Running')
  );
}

export function driftFleet(fleet: FleetSpec): Drift {
  const next = structuredClone(fleet);
  const used = new Set<ClusterSpec>();
  const take = (pred: (c: ClusterSpec) => boolean, n: number): ClusterSpec[] => {
    const out = next.clusters.filter((c) => !used.has(c) && ordinary(c) && pred(c)).slice(0, n);
    for (const c of out) used.add(c);
    return out;
  };
  const upgraded = take((c) => c.kubernetesVersion.startsWith('1.31'), 1)[0] ?? null;
  if (upgraded) {
    upgraded.kubernetesVersion = '1.32.4';
    for (const p of upgraded.pools) p.orchestratorVersion = '1.32.4';
  }
  const fixed = take((c) => c.pools.some((p) => p.profile === 'drifted'), 1);
  for (const c of fixed) for (const p of c.pools) p.profile = 'aks-default';
  const failing = take((c) => c.pools.every((p) => p.profile === 'aks-default'), 2);
  for (const c of failing) for (const p of c.pools) p.failing = Array.isArray(p.failing) ? [...p.failing, ...NEW_FAILS] : NEW_FAILS;
  const broken = take(() => true, 1)[0] ?? null;
  broken?.faults.push({ kind: 'forbidden', operation: 'ManagedClusters_RunCommand' });
  return {
    fleet: next,
    newlyFailing: failing.map((c) => c.name),
    fixed: fixed.map((c) => c.name),
    upgraded: upgraded?.name ?? null,
    scanFails: broken?.name ?? null,
  };
}

/** A waiver the demo applies in round 1 that has expired by round 2 (run a day later). */
export function demoWaiverFile(today: Date): string {
  return [
    'waivers:',
    '  - id: demo-event-qps',
    '    topic: kubelet.event-qps',
    '    reason: the demo fleet accepts the default event rate limit until the logging rework lands',
    '    owner: platform-team',
    '    scope: all',
    `    expires: ${today.toISOString().slice(0, 10)}`,
    '',
  ].join('\n');
}
