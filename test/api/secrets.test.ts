/**
 * A secret in any `actual` value, whatever surrounds it, never reaches Table Storage, the API (JSON
 * or CSV) or a log: kube-bench output enters as a run-command log (an envelope), is parsed, stored
 * in Azurite and read back through the handlers. The secrets are the shared fixtures every
 * redaction layer is tested against.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/api/index.js';
import { encodeEnvelope, formatPlanLine } from '../../src/model/envelope.js';
import type { ClusterScan } from '../../src/model/cluster.js';
import { parseKubeBenchLog } from '../../src/parse/log.js';
import type { Store } from '../../src/store/store.js';
import { SECRET_CASES } from '../fixtures/secrets.js';
import { sampleReport } from '../fixtures/reports.js';
import { useAzurite } from '../support/azurite.js';
import { call, classify, ref, SUB_A } from './fleet.js';

const az = useAzurite();
let store: Store;
const logs: string[] = [];
let deps: ApiDeps;

beforeAll(async () => {
  store = await az.store();
  deps = {
    store,
    now: () => new Date('2026-11-26T12:00:00Z'),
    schedulePeriodMs: 86_400_000,
    requestScan: async () => ({ runId: 'r', queued: 0, missing: [] }),
    log: (...a) => logs.push(a.map(String).join(' ')),
  };
});

/** Text around a secret: anything a config file or command line may hold, quotes aside (a quote may legitimately extend a value). */
const around = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_=:;,./\n\t{}[]&?@'.split('')), maxLength: 30 });

describe('secrets in actual values', () => {
  it('never reach storage, the API, CSV or a log', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(around, around), { minLength: SECRET_CASES.length, maxLength: SECRET_CASES.length }), async (contexts) => {
        run++;
        const report = sampleReport();
        const results = report.Controls[0]!.tests![0]!.results!;
        const template = results[0]!;
        results.length = 0;
        SECRET_CASES.forEach((c, i) => {
          const [before, after] = contexts[i]!;
          results.push({ ...template, test_number: `3.1.${i + 1}`, status: 'FAIL', actual_value: `${before} ${c.actual} ${after}` });
        });
        const node = `aks-secret-${run}`;
        const log = formatPlanLine([node]) + encodeEnvelope(JSON.stringify(report), { node, pool: 'p', benchmark: 'aks-1.8', format: 'json' });
        const parsed = parseKubeBenchLog(log, 'property log');
        const cluster = ref(SUB_A, 'rg-secrets', `aks-secrets-${run}`);
        const scan: ClusterScan = {
          cluster,
          benchmark: 'aks-1.8',
          outcome: {
            kind: 'scanned',
            nodes: parsed.nodes.map((n) => ({
              name: n.node ?? node,
              pool: n.pool,
              benchmark: n.benchmark,
              totals: n.totals,
              checks: n.checks,
              warnings: n.warnings,
            })),
            nodeFailures: parsed.failures,
          },
          startedAt: '2026-11-26T10:00:00.000Z',
          finishedAt: '2026-11-26T10:01:00.000Z',
        };
        await store.saveClusterScan(scan, { runId: `run-${run}`, scanId: `scan-${run}` }, classify);
        const base = `/clusters/${SUB_A}/rg-secrets/aks-secrets-${run}`;
        const seen = [
          JSON.stringify(await store.getClusterLatest(cluster.id)),
          JSON.stringify(await store.getNodeResult(cluster.id, `scan-${run}`, node)),
          (await call(deps, `${base}/nodes/${node}`)).text,
          (await call(deps, `${base}/nodes/${node}?format=csv`)).text,
          (await call(deps, base)).text,
          (await call(deps, `${base}?format=csv`)).text,
          logs.join('\n'),
        ].join('\n');
        expect(seen).toContain('[redacted]');
        for (const c of SECRET_CASES) expect(seen, c.name).not.toContain(c.secret);
      }),
      { numRuns: 12 },
    );
  }, 180_000);
});
