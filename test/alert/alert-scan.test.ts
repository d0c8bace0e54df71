/** The whole alert path over real parts: scans saved in Azurite, the knowledge base's default waivers, a loopback receiver. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertNewFailures } from '../../src/alert/alert-scan.js';
import { createRateLimiter } from '../../src/alert/rate-limit.js';
import { previousScannedScan } from '../../src/diff/previous.js';
import { effectiveWaivers } from '../../src/knowledge/index.js';
import type { ClusterRef, ClusterScan, ScannedNode } from '../../src/model/cluster.js';
import { countTotals } from '../../src/model/result.js';
import { classifyUnversioned } from '../../src/pipeline/classify.js';
import type { Store } from '../../src/store/index.js';
import { useAzurite } from '../support/azurite.js';
import { check, clusterRef, scanned, skipped } from '../store/fixtures.js';

const az = useAzurite();
const NOW = new Date('2026-11-26T12:00:00Z');
const WAIVERS = effectiveWaivers(null, true);
const IMAGE_SCANNING = 'Ensure Image Vulnerability Scanning using Azure Defender image scanning or a third party provider';
const READ_ONLY_PORT = 'Ensure that the --read-only-port is secured';

let server: Server;
let url: string;
let bodies: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  bodies = [];
});

/** One node whose failing checks are given: 3.2.4 (default-waived on AKS) and 5.1.1 (the customer's). */
function nodeWith(pool: string, failing: string[]): ScannedNode {
  const checks = [
    check('3.2.4', READ_ONLY_PORT, failing.includes('3.2.4') ? 'FAIL' : 'PASS'),
    check('5.1.1', IMAGE_SCANNING, failing.includes('5.1.1') ? 'FAIL' : 'PASS'),
  ];
  return { name: `aks-${pool}-0`, pool, benchmark: 'aks-1.8', totals: countTotals(checks), checks, warnings: [] };
}

async function save(store: Store, scan: ClusterScan, scanId: string): Promise<void> {
  await store.saveClusterScan(scan, { runId: `run-${scanId}`, scanId }, classifyUnversioned);
}

async function currentAndPrevious(store: Store, ref: ClusterRef, scanId: string, startedAt: string) {
  const current = await store.getClusterScan(ref.id, scanId);
  if (!current) throw new Error('current scan not stored');
  return { current, previous: await previousScannedScan(store, ref.id, { startedAt, scanId }) };
}

const send = { limiter: createRateLimiter({ perSecond: 100 }), sleep: async (): Promise<void> => undefined };

describe('alertNewFailures over stored scans', () => {
  it('diffs against the last scanned attempt, skips the waived FAIL and posts one card for the new one', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-alert');
    await save(store, scanned(ref, [nodeWith('system', ['3.2.4'])], '2026-11-24T10:00:00.000Z'), 's1');
    await save(store, skipped(ref, '2026-11-25T10:00:00.000Z'), 's2');
    await save(store, scanned(ref, [nodeWith('system', ['3.2.4', '5.1.1']), nodeWith('gpu', ['3.2.4'])], '2026-11-26T10:00:00.000Z'), 's3');

    const { current, previous } = await currentAndPrevious(store, ref, 's3', '2026-11-26T10:00:00.000Z');
    expect(previous?.scanId).toBe('s1');
    const r = await alertNewFailures({ previous, current, webhookUrl: url, waivers: WAIVERS, now: NOW, send });
    expect(r.outcome).toMatchObject({ status: 'sent', httpStatus: 202, attempts: 1 });
    expect(JSON.stringify(r)).not.toContain('SECRET');
    // New: 5.1.1 on system, 3.2.4 on the new gpu pool (waived by default: a kube-bench quirk on AKS).
    expect(r.diff.newFailures.map((i) => `${i.pool} ${i.id}`).sort()).toEqual(['gpu 3.2.4', 'system 5.1.1']);
    expect(r.message).toMatchObject({ included: 1, omitted: 0, waived: 1 });
    expect(bodies).toHaveLength(1);
    const posted = bodies[0] ?? '';
    expect(posted).toContain('5.1.1');
    expect(posted).toContain('Yours to fix (1)');
    expect(posted).not.toContain('3.2.4');
  });

  it('does not post when nothing new is left after waivers, or when no webhook is set', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-quiet');
    await save(store, scanned(ref, [nodeWith('system', [])], '2026-11-24T10:00:00.000Z'), 's1');
    await save(store, scanned(ref, [nodeWith('system', ['3.2.4'])], '2026-11-25T10:00:00.000Z'), 's2');
    const { current, previous } = await currentAndPrevious(store, ref, 's2', '2026-11-25T10:00:00.000Z');
    const quiet = await alertNewFailures({ previous, current, webhookUrl: url, waivers: WAIVERS, now: NOW, send });
    expect(quiet.outcome).toMatchObject({ status: 'skipped', attempts: 0 });
    expect(quiet.outcome.detail).toContain('all waived');
    const off = await alertNewFailures({ previous, current, webhookUrl: undefined, waivers: [], now: NOW, send });
    expect(off.outcome).toMatchObject({ status: 'skipped', detail: 'TEAMS_WEBHOOK_URL is not set' });
    expect(bodies).toHaveLength(0);
  });

  it('finds the same baseline before and after the current scan is saved, so a redelivery alerts the same', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-redeliver');
    await save(store, scanned(ref, [nodeWith('system', [])], '2026-11-24T10:00:00.000Z'), 's1');
    const before = await previousScannedScan(store, ref.id, { startedAt: '2026-11-25T10:00:00.000Z', scanId: 's2' });
    await save(store, scanned(ref, [nodeWith('system', ['5.1.1'])], '2026-11-25T10:00:00.000Z'), 's2');
    const after = await previousScannedScan(store, ref.id, { startedAt: '2026-11-25T10:00:00.000Z', scanId: 's2' });
    expect(before?.scanId).toBe('s1');
    expect(after?.scanId).toBe('s1');
    expect(await previousScannedScan(store, ref.id, { startedAt: '2026-11-24T10:00:00.000Z', scanId: 's1' })).toBeNull();
  });

  it('a first scan posts a short summary that says so', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-first');
    await save(
      store,
      scanned(
        ref,
        ['a', 'b', 'c'].map((p) => nodeWith(p, ['5.1.1'])),
        '2026-11-26T10:00:00.000Z',
      ),
      's1',
    );
    const { current, previous } = await currentAndPrevious(store, ref, 's1', '2026-11-26T10:00:00.000Z');
    expect(previous).toBeNull();
    const r = await alertNewFailures({ previous, current, webhookUrl: url, waivers: WAIVERS, now: NOW, firstScanMaxItems: 2, send });
    expect(r.outcome.status).toBe('sent');
    expect(r.diff.firstScan).toBe(true);
    expect(r.message).toMatchObject({ included: 2, omitted: 1 });
    expect(bodies[0]).toContain('First scan of aks-first: 3 FAILs to review');
    expect(bodies[0]).toContain('+1 more new FAIL not shown');
  });

  it('reports a bad webhook setting as a failed alert without the value, and does not throw', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-badurl');
    await save(store, scanned(ref, [nodeWith('system', ['5.1.1'])], '2026-11-26T10:00:00.000Z'), 's1');
    const { current } = await currentAndPrevious(store, ref, 's1', '2026-11-26T10:00:00.000Z');
    const r = await alertNewFailures({ previous: null, current, webhookUrl: 'http://example.com/hook?sig=SECRET', waivers: WAIVERS, now: NOW, send });
    expect(r.outcome.status).toBe('failed');
    expect(r.outcome.detail).toContain('TEAMS_WEBHOOK_URL');
    expect(r.outcome.detail).not.toContain('SECRET');
    expect(r.outcome.detail).not.toContain('example.com');
  });

  it('reports a bad dashboard link as a failed alert instead of throwing', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-baddash');
    await save(store, scanned(ref, [nodeWith('system', ['5.1.1'])], '2026-11-26T10:00:00.000Z'), 's1');
    const { current } = await currentAndPrevious(store, ref, 's1', '2026-11-26T10:00:00.000Z');
    const r = await alertNewFailures({ previous: null, current, webhookUrl: url, waivers: WAIVERS, now: NOW, dashboardUrl: 'javascript:alert(1)', send });
    expect(r.outcome).toMatchObject({ status: 'failed', attempts: 0 });
    expect(r.outcome.detail).toContain('dashboardUrl');
    expect(bodies).toHaveLength(0);
  });
});
