/** The housekeeping timer function in @azure/functions' test mode, over Azurite and a local webhook receiver. */
import azf from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../../functions/housekeeping.js';
import { recordClusterChange } from '../../src/alert/run-digest.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { classifierFor } from '../../src/pipeline/classify.js';
import { createRuntime, setSharedRuntime } from '../../src/runtime/runtime.js';
import { startReceiver, type Receiver } from '../alert/receiver.js';
import { useAzurite } from '../support/azurite.js';
import { clusterRef, node, scanned } from '../store/fixtures.js';

const { InvocationContext } = azf;
const az = useAzurite();
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  setSharedRuntime(undefined);
  await rx.close();
});

const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
const ctx = () => new InvocationContext({ invocationId: `hk-${Math.random()}`, functionName: 'housekeeping' });

describe('housekeeping timer', () => {
  it('posts the digest of a run whose deadline passed with clusters missing, once', async () => {
    const clock = { t: Date.parse('2026-11-20T02:00:00.000Z') };
    const rt = await createRuntime(
      { AzureWebJobsStorage: az.instance.connectionString, ALERT_RUN_DEADLINE_MINUTES: '60' },
      {
        credential: simulatorCredential(),
        armEndpoint: 'https://127.0.0.1:9',
        store: await az.store(),
        log: () => undefined,
        now: () => new Date(clock.t),
        teamsWebhookUrl: rx.url('/hk'),
      },
    );
    setSharedRuntime(rt);
    const c = clusterRef('aks-hk');
    const runId = 'run-hk';
    await rt.store.startRun({ runId, trigger: 'timer', startedAt: new Date(clock.t).toISOString(), queued: 2 });
    const scan = scanned(c, [node('aks-hk-vmss000000', 'nodepool1')], new Date(clock.t).toISOString());
    await rt.store.saveClusterScan(scan, { runId, scanId: 'scan-hk' }, classifierFor(c));
    await recordClusterChange({ runId, scanId: 'scan-hk', cluster: c }, { store: rt.store, now: rt.deps.now, log: () => undefined, alerts: rt.deps.alerts! });
    await rt.store.recordClusterDone(runId, c.id, 'scanned');
    const from = rx.posts.length;
    await housekeeping(timer, ctx());
    expect(rx.posts.length - from).toBe(0);
    clock.t += 61 * 60_000;
    await housekeeping(timer, ctx());
    await housekeeping(timer, ctx());
    expect(rx.posts.length - from).toBe(1);
    expect((await rt.store.getRun(runId))?.alerts).toEqual([expect.objectContaining({ channel: 'default', status: 'sent', clusters: 1 })]);
  });

  it('does nothing when alerts are off', async () => {
    const rt = await createRuntime(
      { AzureWebJobsStorage: az.instance.connectionString },
      { credential: simulatorCredential(), armEndpoint: 'https://127.0.0.1:9', store: await az.store(), log: () => undefined },
    );
    setSharedRuntime(rt);
    expect(rt.deps.alerts).toBeUndefined();
    await expect(housekeeping(timer, ctx())).resolves.toBeUndefined();
  });
});
