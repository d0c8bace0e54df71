/**
 * What the browser tests add to the demo fleet: a cluster whose owner put script payloads in its
 * tags, resource group, node name and check text, stored through the real store in the demo's
 * Azurite as part of its latest run. ARM itself refuses such a resource group (and the simulator
 * with it), so this cluster is written to the tables directly, as a tampered store would hold it.
 */
import type { ClusterRef } from '../../src/model/cluster.js';
import { countTotals } from '../../src/model/result.js';
import type { Store } from '../../src/store/store.js';
import { makeCheck } from '../fixtures/checks.js';
import { aksNode, classify, PRIVILEGED_FAIL, ref, seedFleet, SUB_A, SUB_B } from '../api/fleet.js';

/** Each payload sets window.__pwned when it runs; the tests read it back. */
export const PAYLOADS = [
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=2</script>',
  '"><svg onload="window.__pwned=3">',
  'javascript:window.__pwned=4',
] as const;

export const HOSTILE_NAME = 'aks-hostile-1';

export function hostileRef(): ClusterRef {
  const base = ref(SUB_B, `rg-x${PAYLOADS[1]}`, HOSTILE_NAME);
  return { ...base, kubernetesVersion: '1.30.5', tags: { [PAYLOADS[0]]: PAYLOADS[1], team: PAYLOADS[2] } };
}

/** Stores the hostile cluster's scan in the store's latest run (the demo's last round). */
export async function addHostileCluster(store: Store): Promise<ClusterRef> {
  const [run] = await store.listRuns(1);
  if (!run) throw new Error('addHostileCluster: the store holds no run');
  const h = hostileRef();
  const evil = makeCheck('4.2.1', `Anonymous auth ${PAYLOADS[0]} ${PAYLOADS[2]}`, 'FAIL', { benchmark: 'aks-1.8', nodeType: 'node' });
  const node = aksNode('aks-evil-0', `pool${PAYLOADS[2]}`, ['3.2.4']);
  const checks = [...node.checks, evil];
  const named = aksNode(`node${PAYLOADS[0]}`, 'system', ['3.2.9']);
  const at = new Date(Date.parse(run.startedAt) + 60_000).toISOString();
  await store.saveClusterScan(
    {
      cluster: h,
      benchmark: 'aks-1.8',
      outcome: { kind: 'scanned', nodes: [{ ...node, checks, totals: countTotals(checks) }, named], nodeFailures: [] },
      startedAt: at,
      finishedAt: at,
    },
    { runId: run.runId, scanId: 'scan-hostile-1' },
    classify,
  );
  await store.recordClusterDone(run.runId, h.id, 'scanned');
  return h;
}

/**
 * The API tests' fleet for the dashboard's data routes: the seeded fleet, a second scan of
 * aks-prod-1 (so the trend and the changes have something to show), and the hostile cluster.
 */
export async function seedBrowserFleet(store: Store): Promise<void> {
  await seedFleet(store);
  await store.startRun({ runId: 'run-3', trigger: 'timer', startedAt: '2026-11-27T02:00:00.000Z', queued: 2 });
  // aks-prod-1 again: 3.2.9 fixed on every node, the privileged-containers FAIL still there.
  const prod1 = ref(SUB_A, 'rg-prod', 'aks-prod-1');
  const nodes = [aksNode('aks-system-0', 'system', ['3.2.4'], [PRIVILEGED_FAIL]), aksNode('aks-user-0', 'user', ['3.2.4'])];
  await store.saveClusterScan(
    {
      cluster: prod1,
      benchmark: 'aks-1.8',
      outcome: { kind: 'scanned', nodes, nodeFailures: [] },
      startedAt: '2026-11-27T02:00:00.000Z',
      finishedAt: '2026-11-27T02:02:00.000Z',
    },
    { runId: 'run-3', scanId: 'scan-prod1-3' },
    classify,
  );
  await store.recordClusterDone('run-3', prod1.id, 'scanned');
  await addHostileCluster(store);
}
