/**
 * A hostile fleet: clusters whose owners craft what the scan reads back. Each case rewrites the
 * honest output of our script (run-logs.ts) the way an owner with cluster-admin could (they run
 * the Job's image, the node, the kubelet), and says which one outcome a correct scanner ends it
 * with. Cheap to produce: bombs are gzip members of one small compressed chunk, repeated, so the
 * simulator never holds what the scanner must refuse to inflate.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeEnvelope, formatPlanLine } from '../model/envelope.js';
import type { ClusterExpectation, FleetInput } from './fleet-spec.js';

export const HOSTILE_CASES = [
  'check-flood',
  'check-count',
  'gzip-bomb',
  'bombs-across-nodes',
  'extra-nodes',
  'unplanned-node',
  'no-plan',
  'plan-too-long',
  'duplicate-check-ids',
  'duplicate-node',
  'status-flood',
  'secrets',
  'huge-actual',
  'huge-tags',
] as const;
export type HostileCase = (typeof HOSTILE_CASES)[number];

/** Secrets the `secrets` case plants in `actual` values; none may reach storage. */
export const HOSTILE_SECRETS = ['S3cr3t-Hostile~aad', 'hostile.bootstraptoken0', 'SasSigHostileValue0123'] as const;

/** Tags ARM allows (50 per resource, 49 here beside `scenario`, names up to 512 characters, values up to 256) that overflow one Table Storage property. */
export function hugeTags(): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 0; i < 49; i++) tags[`team-${String(i).padStart(2, '0')}-${'n'.repeat(500)}`] = 'v'.repeat(256);
  return tags;
}

interface CaseSpec {
  expect: ClusterExpectation;
  /** Pools of the cluster (one node each, scanned per pool). */
  pools?: number;
  /** Set when the case needs work of another lane to end as expected. */
  needs?: string;
}

export const HOSTILE_EXPECT: Readonly<Record<HostileCase, CaseSpec>> = {
  'check-flood': { expect: { kind: 'failed', reason: 'over-limit', note: '1.5 million checks in a 300 KB log: refused while inflating' } },
  'check-count': { expect: { kind: 'failed', reason: 'over-limit', note: '5000 small checks: over MAX_CHECKS_PER_NODE' } },
  'gzip-bomb': { expect: { kind: 'failed', reason: 'over-limit', note: '300 MiB of gzip in a 400 KB log: inflating stops at the limit' } },
  'bombs-across-nodes': {
    pools: 6,
    expect: { kind: 'scanned', nodeFailures: ['over-limit'], note: 'each node just under the per-node limit: the per-log limit stops the last ones' },
  },
  'extra-nodes': { expect: { kind: 'failed', reason: 'over-limit', note: '163 node results for a one-node plan' } },
  'unplanned-node': { expect: { kind: 'scanned', nodeFailures: ['not-in-plan'], note: 'one result for a node the script did not plan' } },
  'no-plan': { expect: { kind: 'failed', reason: 'unparseable-output', note: 'results without the PLAN line' } },
  'plan-too-long': { expect: { kind: 'failed', reason: 'over-limit', note: 'a PLAN line of 500 nodes' } },
  'duplicate-check-ids': { expect: { kind: 'failed', reason: 'over-limit', note: 'one check id reported twice' } },
  'duplicate-node': { expect: { kind: 'failed', reason: 'over-limit', note: 'the one planned node answers twice' } },
  'status-flood': { expect: { kind: 'failed', reason: 'over-limit', note: '5000 status lines for unplanned nodes' } },
  secrets: { expect: { kind: 'scanned', note: 'secrets in actual values are redacted before storage' } },
  'huge-actual': { expect: { kind: 'scanned', note: 'actual values of 1 MB each are cut to 2048 characters' } },
  'huge-tags': {
    expect: { kind: 'scanned', note: '50 tags of 512+256 characters (ARM allows them) overflow a Table Storage property unless kept compressed' },
  },
};

const LINE = 76;

/** An envelope whose payload is `head`, then `body` `times` times, then `tail`, as gzip members: cheap at any inflated size. */
function repeatedEnvelope(node: string, pool: string, head: string, body: string, times: number, tail: string): string {
  const hash = createHash('sha256');
  const member = (s: string): Buffer => {
    hash.update(s);
    return gzipSync(Buffer.from(s, 'utf8'), { level: 9 });
  };
  const first = member(head);
  const mid = gzipSync(Buffer.from(body, 'utf8'), { level: 9 });
  for (let i = 0; i < times; i++) hash.update(body);
  const last = member(tail);
  const b64 = Buffer.concat([first, ...Array.from({ length: times }, () => mid), last]).toString('base64');
  const lines = [`===AKSFS-BEGIN v1 node=${node} pool=${pool} benchmark=aks-1.8 format=json encoding=gzip+base64===`];
  for (let i = 0; i < b64.length; i += LINE) lines.push(b64.slice(i, i + LINE));
  lines.push(`===AKSFS-END v1 node=${node} sha256=${hash.digest('hex')}===`);
  return lines.join('\n') + '\n';
}

const REPORT_HEAD = '{"Controls":[{"id":"3","version":"aks-1.8","node_type":"node","tests":[{"section":"3.1","results":[';
const REPORT_TAIL = '{"test_number":"3.1.0","test_desc":"last","status":"PASS"}]}]}]}';

function result(id: string, status: string, actual = ''): Record<string, unknown> {
  return { test_number: id, test_desc: `Ensure check ${id} (Automated)`, status, actual_value: actual, scored: true, type: '' };
}

function report(results: Record<string, unknown>[]): string {
  return JSON.stringify({ Controls: [{ id: '3', version: 'aks-1.8', node_type: 'node', tests: [{ section: '3.1', results }] }] });
}

interface Honest {
  /** The script's lines before the first envelope (PLAN line included). */
  head: string;
  nodes: { node: string; pool: string; block: string }[];
  tail: string;
}

/** Cuts the honest output into the script's lines and one block per node. */
function split(logs: string): Honest {
  const nodes: Honest['nodes'] = [];
  const re = /===AKSFS-BEGIN v1 node=(\S+) pool=(\S+)[^\n]*\n[\s\S]*?===AKSFS-END[^\n]*\n/g;
  let m: RegExpExecArray | null;
  let firstAt = -1;
  let lastEnd = 0;
  while ((m = re.exec(logs))) {
    if (firstAt < 0) firstAt = m.index;
    nodes.push({ node: m[1] as string, pool: m[2] as string, block: m[0] });
    lastEnd = re.lastIndex;
  }
  if (firstAt < 0) return { head: logs, nodes: [], tail: '' };
  return { head: logs.slice(0, firstAt), nodes, tail: logs.slice(lastEnd) };
}

/** The output a hostile cluster returns instead of `logs`, the honest output of our script. */
export function hostileLogs(kind: HostileCase, logs: string): string {
  const h = split(logs);
  const first = h.nodes[0];
  if (!first) return logs;
  const { node, pool } = first;
  const others = h.nodes.slice(1).map((n) => n.block);
  const env = (json: string, name = node): string => encodeEnvelope(json, { node: name, pool, benchmark: 'aks-1.8', format: 'json' });
  switch (kind) {
    case 'check-flood':
      return (
        h.head + repeatedEnvelope(node, pool, REPORT_HEAD, '{"test_number":"3.1.1","test_desc":"x","status":"FAIL"},'.repeat(10_000), 150, REPORT_TAIL) + h.tail
      );
    case 'check-count':
      return h.head + env(report(Array.from({ length: 5000 }, (_, i) => result(`3.1.${i + 1}`, 'FAIL')))) + h.tail;
    case 'gzip-bomb':
      return h.head + repeatedEnvelope(node, pool, '{"Controls":[', ' '.repeat(4 * 1024 * 1024), 75, ']}') + h.tail;
    case 'bombs-across-nodes': {
      // Each node's payload is a valid report padded with spaces to just under the per-node limit.
      const padded = (n: { node: string; pool: string; block: string }): string =>
        repeatedEnvelope(n.node, n.pool, report([result('3.1.1', 'FAIL')]).slice(0, -1), ' '.repeat(1024 * 1024), 3, ' }');
      return h.head + h.nodes.map(padded).join('') + h.tail;
    }
    case 'extra-nodes': {
      const extra = Array.from({ length: 162 }, (_, i) => env(report([result('3.1.1', 'FAIL')]), `aks-extra-${i}`)).join('');
      return h.head + first.block + extra + h.tail;
    }
    case 'unplanned-node':
      return h.head + first.block + env(report([result('3.1.1', 'PASS')]), 'aks-intruder-0') + others.join('') + h.tail;
    case 'no-plan':
      return h.head.replace(/^===AKSFS-PLAN[^\n]*\n/m, '') + first.block + others.join('') + h.tail;
    case 'plan-too-long':
      return (
        h.head.replace(/^===AKSFS-PLAN[^\n]*\n/m, formatPlanLine([node, ...Array.from({ length: 499 }, (_, i) => `aks-ghost-${i}`)])) +
        first.block +
        others.join('') +
        h.tail
      );
    case 'duplicate-check-ids':
      return h.head + env(report([result('3.1.1', 'PASS'), result('3.1.1', 'FAIL'), result('3.1.2', 'PASS')])) + h.tail;
    case 'duplicate-node':
      return h.head + first.block + first.block + h.tail;
    case 'status-flood': {
      const lines = Array.from({ length: 5000 }, (_, i) => `===AKSFS-STATUS v1 node=aks-flood-${i} pool=${pool} status=failed reason=flood===\n`).join('');
      return h.head + first.block + lines + h.tail;
    }
    case 'secrets': {
      const [aad, token, sig] = HOSTILE_SECRETS;
      return (
        h.head +
        env(
          report([
            result('3.1.1', 'FAIL', `{"aadClientId":"msi","aadClientSecret":"${aad}"}`),
            result('3.1.2', 'FAIL', `kubelet --bootstrap-token=${token} --v=2`),
            result('3.1.3', 'PASS', `https://a.blob.core.windows.net/c?sv=1&sig=${sig}&se=2`),
          ]),
        ) +
        h.tail
      );
    }
    case 'huge-actual':
      return h.head + env(report(['3.1.1', '3.1.2', '3.1.3'].map((id) => result(id, 'FAIL', 'A'.repeat(1024 * 1024))))) + h.tail;
    case 'huge-tags':
      // Its output is honest; its tags (set on the cluster) are the attack.
      return logs;
  }
}

const HOSTILE_SUBSCRIPTION = '0badc0de-0000-4000-8000-000000000011';

/** One cluster per case, in one subscription; each cluster's `expect` is its case's one outcome. */
export function hostileFleet(cases: readonly HostileCase[] = HOSTILE_CASES): FleetInput {
  return {
    subscriptions: [{ subscriptionId: HOSTILE_SUBSCRIPTION, displayName: 'Hostile tenants' }],
    clusters: cases.map((c) => {
      const spec = HOSTILE_EXPECT[c];
      return {
        subscriptionId: HOSTILE_SUBSCRIPTION,
        resourceGroup: 'rg-hostile',
        name: `aks-hostile-${c}`,
        kubernetesVersion: '1.33.2',
        pools: Array.from({ length: spec.pools ?? 1 }, (_, i) => ({ name: `pool${i}`, count: 1 })),
        tags: c === 'huge-tags' ? { scenario: c, ...hugeTags() } : { scenario: c },
        faults: [{ kind: 'hostile' as const, case: c }],
        expect: spec.expect,
      };
    }),
  };
}
