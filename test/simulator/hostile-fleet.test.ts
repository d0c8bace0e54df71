/**
 * The hostile fleet through the real worker path: the ARM simulator (real SDK clients), the
 * pipeline's deliveries and poison handler, and Table Storage on Azurite. Each case must end with
 * exactly one outcome, the one its case names; the worker's peak memory is printed per case
 * (the bench holds it to its goal: reliability.hostile_peak_rss_mb).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import type { ClusterRef } from '../../src/model/cluster.js';
import type { PipelineDeps } from '../../src/pipeline/pipeline.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { HOSTILE_CASES, HOSTILE_EXPECT, HOSTILE_SECRETS, hostileFleet } from '../../src/simulator/hostile.js';
import { runHostileCase } from '../../src/simulator/hostile-run.js';
import type { Store } from '../../src/store/index.js';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();
let sim: RunningSimulator;
let store: Store;
let deps: PipelineDeps;
const clusters = new Map<string, ClusterRef>();
const logs: string[] = [];

const scanOpts = {
  benchmark: 'auto' as const,
  selection: 'per-pool' as const,
  timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
  deadlineMs: 60_000,
};

beforeAll(async () => {
  sim = await startArmSimulator({ fleet: parseFleetSpec(hostileFleet(), 'hostile fleet'), commandDurationMs: 10 });
  store = await az.store();
  const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca, retryDelayInMs: 5 });
  deps = { arm, store, now: () => new Date(), log: (l) => logs.push(l) };
  for (const c of (await discoverFleet(arm, {})).clusters) clusters.set(c.tags['scenario'] ?? '', c);
}, 60_000);
afterAll(async () => {
  await sim?.stop();
});

describe('a hostile fleet', () => {
  const ready = HOSTILE_CASES.filter((c) => !HOSTILE_EXPECT[c].needs);
  it.each(ready.map((c) => [c, HOSTILE_EXPECT[c].expect.note ?? ''] as const))(
    '%s (%s) ends with exactly one outcome, the expected one',
    async (kind) => {
      const r = await runHostileCase(kind, clusters.get(kind)!, deps, scanOpts);
      console.log(`hostile ${kind}: ${JSON.stringify(r.outcome)} after ${r.deliveries} delivery(ies), peak RSS +${r.peakRssAboveIdleMb.toFixed(0)} MB`);
      expect(r.done).toBe(1);
      const want = HOSTILE_EXPECT[kind].expect;
      expect(r.outcome).toMatchObject({ kind: want.kind, ...(want.reason ? { reason: want.reason } : {}) });
      for (const s of want.nodeFailures ?? []) expect(r.outcome?.nodeFailures).toContain(s);
      // A limit is deterministic: it is decided on the first delivery.
      expect(r.deliveries).toBe(1);
      expect(r.matches).toBe(true);
    },
    120_000,
  );

  it('stores no planted secret, and no log line carries one', async () => {
    const c = clusters.get('secrets')!;
    const latest = await store.getClusterLatest(c.id);
    expect(latest?.outcome.kind).toBe('scanned');
    const node = latest!.nodeList[0]!;
    const stored = JSON.stringify([latest, await store.getNodeResult(c.id, latest!.scanId, node.name)]);
    expect(stored).toContain('[redacted]');
    for (const s of HOSTILE_SECRETS) {
      expect(stored).not.toContain(s);
      expect(logs.join('\n')).not.toContain(s);
    }
  });

  for (const c of HOSTILE_CASES.filter((k) => HOSTILE_EXPECT[k].needs)) {
    it.todo(`${c}: needs ${HOSTILE_EXPECT[c].needs}`);
  }
});
