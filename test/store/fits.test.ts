/**
 * Every stored value fits Table Storage (Azurite enforces the same limits): whatever ARM lets a cluster
 * owner set (50 tags of 512-character names and 256-character values, the longest resource group and
 * cluster names, any letters), the cluster's failure record and its poison record are stored, and the
 * tags read back whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterRef } from '../../src/model/cluster.js';
import { scanMessage } from '../../src/pipeline/message.js';
import { recordFailure, recordPoisonMessage } from '../../src/pipeline/pipeline.js';
import { TAGS_CUT_MARKER } from '../../src/store/codec/fleet.js';
import { MAX_DETAIL_CHARS, isCut } from '../../src/store/limits.js';
import type { Store } from '../../src/store/store.js';
import { useAzurite } from '../support/azurite.js';
import { classify, clusterRef, node, scanned } from './fixtures.js';

const az = useAzurite();

/** Letters of many scripts, and the one whose lower case is longer than itself (İ → i̇). */
const letter = fc.oneof(
  fc.constantFrom(...'abcxyzABCXYZ0189_-.()'),
  fc.constantFrom('İ', 'ß', 'é', '日', 'Ω', 'ǅ', 'ﬃ'),
  fc
    .integer({ min: 0xc0, max: 0xfffd })
    .map((c) => String.fromCharCode(c))
    .filter((ch) => /\p{L}/u.test(ch)),
);
/** ARM: resource group 1-90 of letters, digits, _ - . ( ); AKS cluster name 1-63 of letters, digits, _ -. */
const resourceGroup = fc.string({ unit: letter, minLength: 1, maxLength: 90 });
const clusterName = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_-'), minLength: 1, maxLength: 63 });
/** Any text, astral characters, control characters and lone surrogates included. */
const anyText = (maxLength: number, minLength = 0) => fc.string({ unit: 'binary', minLength, maxLength });
/**
 * ARM's tag limits (50 tags, names of 512 and values of 256 characters) counted in UTF-16 units, the
 * stricter reading: a binary unit may be a surrogate pair, and a case beyond ARM's limits would fail
 * the property without a bug (the codec rightly cuts what no cluster can carry).
 */
const withinArm = (maxLength: number, minLength = 0) => anyText(maxLength, minLength).map((t) => t.slice(0, maxLength));
const tags = fc.dictionary(withinArm(512, 1), withinArm(256), { maxKeys: 50 });

/** Tag names that are Object.prototype's own: plain objects rebuilt by assignment lose or corrupt them. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
function prototypeNamedTags(): Record<string, string> {
  // JSON.parse makes "__proto__" an own property, as ARM's JSON does; an object literal would set the prototype.
  return JSON.parse(JSON.stringify(Object.fromEntries(PROTOTYPE_NAMES.map((n, i) => [n, `v${i}`])))) as Record<string, string>;
}

/** Random each run, printed on any failure (a timeout included), and replayable with FC_SEED=<seed>. */
const SEED = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : Math.floor(Math.random() * 2 ** 31);

function armCluster(sub: string, rg: string, name: string, t: Record<string, string>): ClusterRef {
  return {
    ...clusterRef(name, sub, rg),
    location: 'westeurope',
    tags: t,
  };
}

/** The largest tags ARM allows, of characters that neither compress nor escape cheaply. */
function maximalTags(seed: number): Record<string, string> {
  const rnd = fc.sample(anyText(512, 512), { seed, numRuns: 100 });
  const out: Record<string, string> = {};
  for (let i = 0; i < 50; i++) out[`${i.toString().padStart(2, '0')}${(rnd[i] ?? '').slice(2)}`] = (rnd[50 + i] ?? '').slice(0, 256);
  return out;
}

async function recordBoth(store: Store, ref: ClusterRef, i: number): Promise<void> {
  const msg = scanMessage('run-fits', `scan-${i}`, ref);
  const deps = { store, now: () => new Date('2026-11-30T10:00:00.000Z'), log: () => undefined };
  await store.startRun({ runId: 'run-fits', trigger: 'timer', startedAt: '2026-11-30T09:59:00.000Z', queued: 1 });
  await recordFailure(msg, deps, 'internal', `the scan failed: ${'x'.repeat(10_000)}`, 'failed');
  await recordPoisonMessage(JSON.stringify(msg), deps);
}

describe('every failure record fits (Azurite)', () => {
  it('keeps a tag named __proto__ (found by the property below): an owner cannot hide a tag from the stored copy', async () => {
    const store = await az.store();
    const t = JSON.parse('{"__proto__":"x","team":"payments"}') as Record<string, string>;
    const ref = armCluster('00000000-0000-1000-8000-000000000000', 'rg-proto', 'c-proto', t);
    await recordBoth(store, ref, 9_999);
    const [summary] = await store.listClusterSummaries({ subscriptionId: ref.subscriptionId });
    expect(Object.entries(summary?.tags ?? {})).toEqual([
      ['__proto__', 'x'],
      ['team', 'payments'],
    ]);
  });

  it('the failure and poison records of any cluster ARM can describe are stored, with its tags whole', { timeout: 300_000 }, async ({ onTestFailed }) => {
    onTestFailed(() => console.error(`fits property: seed ${SEED}; replay with FC_SEED=${SEED} npx vitest run test/store/fits.test.ts`));
    let i = 0;
    await fc.assert(
      fc.asyncProperty(fc.uuid(), resourceGroup, clusterName, tags, async (sub, rg, name, t) => {
        // Fresh tables per case: shrinking repeats ids.
        const store = await az.store();
        const ref = armCluster(sub, rg, name, t);
        await recordBoth(store, ref, i++);
        const [summary] = await store.listClusterSummaries({ subscriptionId: sub });
        expect(summary).toMatchObject({ clusterId: ref.id, resourceGroup: rg, name, outcome: 'failed', reason: 'poison-message' });
        expect(summary?.tags).toEqual(t);
        const failure = await store.getClusterScan(ref.id, `scan-${i - 1}-failed`);
        expect(failure?.outcome).toMatchObject({ kind: 'failed', reason: 'internal' });
        expect(failure?.cluster).toMatchObject({ id: ref.id, resourceGroup: rg, name });
        // The detail is cut with a marker, not refused.
        const detail = failure?.outcome.kind === 'failed' ? failure.outcome.detail : '';
        expect(detail.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS);
        expect(isCut(detail)).toBe(true);
        expect(await store.getRun('run-fits')).toMatchObject({ done: 1, failed: 1, complete: true });
      }),
      {
        numRuns: 12,
        seed: SEED,
        examples: [['00000000-0000-1000-8000-000000000001', 'rg-proto', 'c-proto', prototypeNamedTags()]],
        // Shrinking stores a cluster per step; on a loaded machine it is cut short (the failure is still reported
        // with its seed) rather than running into the test's timeout. The 12 runs take seconds.
        plugins: [fc.interruptAfterTimeLimit(240_000)],
      },
    );
  });

  it('the largest tags ARM allows (50 × 512 + 256 characters) on the longest names: failure, poison and scan all stored, tags whole', async () => {
    const store = await az.store();
    const t = maximalTags(11);
    expect(Object.keys(t)).toHaveLength(50);
    const rg = 'İ'.repeat(90);
    const ref = armCluster('00000000-0000-0000-0000-0000000000ff', rg, 'a'.repeat(63), t);
    await recordBoth(store, ref, 0);
    // And a scanned attempt of the same cluster: its results and the tags.
    await store.saveClusterScan(scanned(ref, [node('aks-system-0', 'system')], '2026-11-30T11:00:00.000Z'), { runId: 'r2', scanId: 'scanned' }, classify);
    const [summary] = await store.listClusterSummaries();
    expect(summary?.scanId).toBe('scanned');
    expect(summary?.tags).toEqual(t);
    expect(summary?.resourceGroup).toBe(rg);
    expect((await store.getClusterHistory(ref.id, 10)).map((h) => h.outcome.kind).sort()).toEqual(['failed', 'failed', 'scanned']);
  });

  it('tags beyond anything ARM allows are cut, with a marker tag saying so, and the record is still stored', async () => {
    const store = await az.store();
    // Random text does not compress: 150 tags of 3,000 + 4,000 characters are far past the gzip'd room.
    const text = fc.sample(anyText(4000, 4000), { seed: 5, numRuns: 300 });
    const huge: Record<string, string> = {};
    for (let i = 0; i < 150; i++) huge[`${i}-${(text[i] ?? '').slice(0, 3000)}`] = text[150 + i] ?? '';
    const ref = armCluster('00000000-0000-0000-0000-0000000000fe', 'rg', 'huge', huge);
    await recordBoth(store, ref, 0);
    const [summary] = await store.listClusterSummaries();
    expect(summary?.outcome).toBe('failed');
    expect(summary?.tags[TAGS_CUT_MARKER]).toMatch(/^\d+ of 150 tags shown, cut to fit$/);
    const shown = Object.entries(summary?.tags ?? {}).filter(([k]) => k !== TAGS_CUT_MARKER);
    for (const [k, v] of shown) {
      expect(isCut(k) && isCut(v)).toBe(true);
    }
  });

  it('a node name and an id no ARM resource can have still get keys that fit, and read back', async () => {
    const store = await az.store();
    const longName = `aks-${'ü'.repeat(2000)}`;
    const ref = armCluster('00000000-0000-0000-0000-0000000000fd', 'rg', 'c', {});
    await store.saveClusterScan(scanned(ref, [node(longName, 'system')]), { runId: 'r', scanId: 's' }, classify);
    expect((await store.getNodeResult(ref.id, 's', longName))?.name).toBe(longName);
    expect((await store.getClusterScan(ref.id, 's'))?.nodeList.map((n) => n.name)).toEqual([longName]);
  });
});
