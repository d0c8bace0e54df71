/**
 * The browser tests' fleet: the API tests' seeded fleet, a second scan of aks-prod-1 (so the trend
 * and the changes have something to show), and a cluster whose owner put script payloads in its
 * tags, resource group, node name and check text. Stored through the real store.
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

/** `hostile: false` leaves out the cluster with script payloads (the README's screenshots). */
export async function seedBrowserFleet(store: Store, opts: { hostile?: boolean } = {}): Promise<void> {
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
  if (opts.hostile === false) return;
  const h = hostileRef();
  const evil = makeCheck('4.2.1', `Anonymous auth ${PAYLOADS[0]} ${PAYLOADS[2]}`, 'FAIL', { benchmark: 'aks-1.8', nodeType: 'node' });
  const node = aksNode('aks-evil-0', `pool${PAYLOADS[2]}`, ['3.2.4']);
  const checks = [...node.checks, evil];
  const named = aksNode(`node${PAYLOADS[0]}`, 'system', ['3.2.9']);
  await store.saveClusterScan(
    {
      cluster: h,
      benchmark: 'aks-1.8',
      outcome: { kind: 'scanned', nodes: [{ ...node, checks, totals: countTotals(checks) }, named], nodeFailures: [] },
      startedAt: '2026-11-27T02:01:00.000Z',
      finishedAt: '2026-11-27T02:03:00.000Z',
    },
    { runId: 'run-3', scanId: 'scan-hostile-3' },
    classify,
  );
  await store.recordClusterDone('run-3', h.id, 'scanned');
}
