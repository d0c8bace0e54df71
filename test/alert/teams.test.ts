import { describe, expect, it } from 'vitest';
import { buildTeamsMessage, TEAMS_BUDGET_BYTES } from '../../src/alert/teams.js';
import type { CardElement, TeamsMessage } from '../../src/alert/teams.js';
import { waiverLookup } from '../../src/alert/waived.js';
import type { DiffItem, ScanDiff } from '../../src/diff/diff.js';
import { diffScans } from '../../src/diff/diff.js';
import { effectiveWaivers } from '../../src/knowledge/index.js';
import type { Waiver } from '../../src/knowledge/index.js';
import { InputError } from '../../src/model/errors.js';
import { CLUSTER, check, scan } from '../diff/fixtures.js';
import { messageProblems } from './validate-card.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const IMAGE_SCANNING = 'Ensure Image Vulnerability Scanning using Azure Defender image scanning or a third party provider';
const READ_ONLY_PORT = 'Ensure that the --read-only-port is secured';
const KNOWN_ELEMENTS = new Set(['TextBlock', 'FactSet', 'Container', 'ColumnSet', 'Column', 'Image', 'ActionSet']);

const notWaived = (): null => null;

function item(id: string, over: Partial<DiffItem> = {}): DiffItem {
  return {
    key: `nodepool1|aks-1.8:${id}`,
    pool: 'nodepool1',
    topic: null,
    benchmark: 'aks-1.8',
    id,
    title: `Check ${id}`,
    disposition: 'action',
    failingNodes: ['n0'],
    before: 'PASS',
    after: 'FAIL',
    ...over,
  };
}

function diffOf(newFailures: DiffItem[], over: Partial<ScanDiff> = {}): ScanDiff {
  return { newFailures, fixed: [], stillFailing: [], firstScan: false, ...over };
}

function card(m: TeamsMessage): Record<string, unknown> & { body: CardElement[] } {
  // Every card a test looks at must pass the Adaptive Cards parser and the 1.4 schema.
  expect(messageProblems(m.body)).toEqual([]);
  const a = m.body.attachments[0];
  if (!a) throw new Error('no attachment');
  return a.content as unknown as Record<string, unknown> & { body: CardElement[] };
}

/** Every element of the card body, depth first. */
function walk(elements: CardElement[]): CardElement[] {
  return elements.flatMap((e) => [e, ...(e.type === 'Container' ? walk(e.items) : [])]);
}

function texts(m: TeamsMessage): string[] {
  return walk(card(m).body).flatMap((e) => (e.type === 'TextBlock' ? [e.text] : []));
}

function input(diff: ScanDiff, over: Partial<Parameters<typeof buildTeamsMessage>[0]> = {}): Parameters<typeof buildTeamsMessage>[0] {
  return { cluster: CLUSTER, diff, waivedBy: notWaived, scanId: 'scan-2', ...over };
}

describe('buildTeamsMessage', () => {
  it('wraps an Adaptive Card 1.4 the way Teams Workflows expects', () => {
    const m = buildTeamsMessage(input(diffOf([item('5.1.1')]), { dashboardUrl: 'https://scanner.example.com/dashboard?cluster=aks-web-prod' }));
    expect(m).not.toBeNull();
    if (!m) return;
    const wire = JSON.parse(JSON.stringify(m.body)) as { type: string; attachments: { contentType: string; content: Record<string, unknown> }[] };
    expect(wire.type).toBe('message');
    expect(wire.attachments).toHaveLength(1);
    expect(wire.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const c = card(m);
    expect(c['type']).toBe('AdaptiveCard');
    expect(c['version']).toBe('1.4');
    expect(c['$schema']).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
    for (const e of walk(c.body)) {
      expect(KNOWN_ELEMENTS.has(e.type)).toBe(true);
      if (e.type === 'TextBlock') expect(e.text.length).toBeGreaterThan(0);
      if (e.type === 'FactSet') for (const f of e.facts) expect(typeof f.value).toBe('string');
    }
    expect(c['actions']).toEqual([{ type: 'Action.OpenUrl', title: 'Open dashboard', url: 'https://scanner.example.com/dashboard?cluster=aks-web-prod' }]);
    expect(m.bytes).toBe(Buffer.byteLength(JSON.stringify(m.body), 'utf8'));
    expect(m.included).toBe(1);
    expect(m.omitted).toBe(0);
  });

  it('returns null when nothing is new', () => {
    expect(buildTeamsMessage(input(diffOf([], { fixed: [item('3.2.1', { before: 'FAIL', after: 'PASS' })] })))).toBeNull();
  });

  it('returns null when every new FAIL is waived', () => {
    const w = { id: 'w1', reason: 'accepted', owner: 'ops', expires: '2027-01-01' };
    expect(buildTeamsMessage(input(diffOf([item('3.2.1'), item('3.2.2')]), { waivedBy: () => w }))).toBeNull();
  });

  it('leaves out checks the shipped default waivers cover and lists the customer-owned ones with what to do', () => {
    const previous = scan([
      check({ id: '5.1.1', title: IMAGE_SCANNING, status: 'PASS', topic: 'registry.image-scanning', disposition: 'environment' }),
      check({ id: '3.2.4', title: READ_ONLY_PORT, status: 'PASS', topic: 'kubelet.read-only-port', disposition: 'check-quirk' }),
    ]);
    const current = scan([
      check({ id: '5.1.1', title: IMAGE_SCANNING, topic: 'registry.image-scanning', disposition: 'environment' }),
      check({ id: '3.2.4', title: READ_ONLY_PORT, topic: 'kubelet.read-only-port', disposition: 'check-quirk' }),
    ]);
    const diff = diffScans(previous, current);
    expect(diff.newFailures).toHaveLength(2);
    const waivedBy = waiverLookup(diff.newFailures, effectiveWaivers(null, true), CLUSTER, NOW);
    const m = buildTeamsMessage(input(diff, { waivedBy }));
    expect(m).not.toBeNull();
    if (!m) return;
    expect(m.included).toBe(1);
    expect(m.waived).toBe(1);
    const all = texts(m).join('\n');
    expect(all).toContain('5.1.1');
    expect(all).toContain('Enable image scanning');
    expect(all).not.toContain('3.2.4');
    expect(all).toContain('Yours to fix (1)');
  });

  it('applies a waiver scoped to one pool only to that pool', () => {
    const waiver: Waiver = {
      id: 'pool-waiver',
      topic: 'registry.image-scanning',
      checkId: null,
      benchmark: null,
      scope: { kind: 'pool', clusterId: CLUSTER.id, pool: 'gpu' },
      reason: 'scanned upstream',
      owner: 'ml team',
      expires: '2027-06-30',
      source: 'file',
    };
    const items = ['gpu', 'system'].map((pool) =>
      item('5.1.1', { pool, key: `${pool}|registry.image-scanning`, topic: 'registry.image-scanning', title: IMAGE_SCANNING, disposition: 'environment' }),
    );
    const waivedBy = waiverLookup(items, [waiver], CLUSTER, NOW);
    expect(items.map((i) => waivedBy(i)?.id ?? null)).toEqual(['pool-waiver', null]);
    // An expired waiver no longer hides the check.
    expect(waiverLookup(items, [waiver], CLUSTER, new Date('2027-07-01T00:00:00Z'))(items[0] as DiffItem)).toBeNull();
  });

  it('lists the customer-owned FAILs (action, environment) before the others', () => {
    const items = [
      item('3.1.1', { disposition: 'platform' }),
      item('5.4.1', { disposition: 'environment' }),
      item('4.2.1', { disposition: null }),
      item('3.2.2', { disposition: 'action' }),
    ];
    const m = buildTeamsMessage(input(diffOf(items)));
    if (!m) throw new Error('expected a message');
    const order = texts(m)
      .filter((t) => /^(\d+\.)+\d+ /.test(t))
      .map((t) => t.split(' ')[0]);
    expect(order).toEqual(['3.2.2', '5.4.1', '3.1.1', '4.2.1']);
    const headers = texts(m).filter((t) => t.startsWith('Yours to fix') || t.startsWith('Other new FAILs'));
    expect(headers).toEqual(['Yours to fix (2)', 'Other new FAILs (2): check the disposition before acting']);
  });

  it('stays within 20,000 bytes with many findings and says how many are left off', () => {
    const many = Array.from({ length: 600 }, (_, i) =>
      item(`9.${i}.1`, { title: `Ensure that a rather long check title about file permissions ü ✓ number ${i} is set`.repeat(3), failingNodes: ['a', 'b'] }),
    );
    const m = buildTeamsMessage(input(diffOf(many), { whatToDo: () => 'Do the long and careful thing that the knowledge base recommends for this check.' }));
    if (!m) throw new Error('expected a message');
    expect(m.bytes).toBeLessThanOrEqual(TEAMS_BUDGET_BYTES);
    expect(Buffer.byteLength(JSON.stringify(m.body), 'utf8')).toBe(m.bytes);
    expect(m.included).toBeGreaterThan(10);
    expect(m.included + m.omitted).toBe(600);
    expect(texts(m)).toContain(`+${m.omitted} more new FAILs not shown`);
    // The cut is the largest that fits: one more check would break the budget.
    const oneMore = buildTeamsMessage(
      input(diffOf(many), {
        whatToDo: () => 'Do the long and careful thing that the knowledge base recommends for this check.',
        maxItems: m.included + 1,
        budgetBytes: 1_000_000,
      }),
    );
    expect(oneMore?.included).toBe(m.included + 1);
    expect(oneMore?.bytes).toBeGreaterThan(TEAMS_BUDGET_BYTES);
  });

  it('a first scan says so and can be cut to a short summary', () => {
    const items = Array.from({ length: 30 }, (_, i) => item(`5.${i}.1`));
    const m = buildTeamsMessage(input(diffOf(items, { firstScan: true }), { maxItems: 5 }));
    if (!m) throw new Error('expected a message');
    expect(texts(m)[0]).toBe('First scan of aks-web-prod: 30 FAILs to review');
    expect(m.included).toBe(5);
    expect(m.omitted).toBe(25);
    expect(texts(m)).toContain('+25 more new FAILs not shown');
  });

  it('counts fixes, and removed pools apart from fixes', () => {
    const diff = diffOf([item('3.2.1')], {
      fixed: [item('3.2.2', { before: 'FAIL', after: 'PASS' }), item('3.2.3', { before: 'FAIL', after: null })],
      stillFailing: [item('3.2.5', { before: 'FAIL' })],
    });
    const m = buildTeamsMessage(input(diff));
    if (!m) throw new Error('expected a message');
    const facts = walk(card(m).body).flatMap((e) => (e.type === 'FactSet' ? e.facts : []));
    const fact = (t: string): string | undefined => facts.find((f) => f.title === t)?.value;
    expect(fact('Fixed')).toBe('1');
    expect(fact('Still failing')).toBe('1');
    expect(fact('No longer reported')).toMatch(/^1 /);
  });

  it('rejects a dashboard link that is not http(s)', () => {
    expect(() => buildTeamsMessage(input(diffOf([item('3.2.1')]), { dashboardUrl: 'javascript:alert(1)' }))).toThrow(InputError);
    expect(() => buildTeamsMessage(input(diffOf([item('3.2.1')]), { dashboardUrl: 'not a url' }))).toThrow(/dashboardUrl/);
  });
});
