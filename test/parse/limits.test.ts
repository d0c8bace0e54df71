import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, formatPlanLine, MAX_ENVELOPE_PAYLOAD_BYTES, scanEnvelopes } from '../../src/model/envelope.js';
import { InputError } from '../../src/model/errors.js';
import { normaliseKubeBench } from '../../src/parse/index.js';
import { acceptPlannedNodes, LimitError, MAX_CHECKS_PER_NODE, MAX_WARNINGS_PER_NODE } from '../../src/parse/limits.js';
import { parseKubeBenchLog } from '../../src/parse/log.js';
import { sampleReport } from '../fixtures/reports.js';

const meta = (node: string) => ({ node, pool: 'p', benchmark: 'aks-1.8', format: 'json' as const });
const nodeLog = (node: string) => encodeEnvelope(JSON.stringify(sampleReport()), meta(node));

describe('envelope limits', () => {
  it('stops inflating at the per-node limit: a bomb is an over-limit record, not memory', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_ENVELOPE_PAYLOAD_BYTES + 1024, 0x20)).toString('base64');
    const log = `===AKSFS-BEGIN v1 node=n1 pool=p benchmark=aks-1.8 format=json encoding=gzip+base64===\n${bomb}\n===AKSFS-END v1 node=n1 sha256=00===\n`;
    const [r] = scanEnvelopes(log).records;
    expect(r).toMatchObject({ kind: 'broken', problem: 'over-limit', detail: expect.stringMatching(/MAX_ENVELOPE_PAYLOAD_BYTES/) });
  });

  it('reads the PLAN line', () => {
    expect(scanEnvelopes(formatPlanLine(['a', 'b']) + nodeLog('a')).plan).toEqual(['a', 'b']);
    expect(scanEnvelopes(nodeLog('a')).plan).toBeNull();
  });
});

describe('node limits', () => {
  it('refuses more checks than MAX_CHECKS_PER_NODE, and one check id twice', () => {
    const r = sampleReport();
    const group = r.Controls[0]!.tests![0]!;
    const one = group.results![0]!;
    group.results = Array.from({ length: MAX_CHECKS_PER_NODE + 1 }, (_, i) => ({ ...one, test_number: `3.1.${i}` }));
    expect(() => normaliseKubeBench(r, 'x')).toThrow(LimitError);
    const dup = sampleReport();
    const g = dup.Controls[0]!.tests![0]!;
    g.results = [g.results![0]!, g.results![0]!];
    const log = formatPlanLine(['n1']) + encodeEnvelope(JSON.stringify(dup), meta('n1'));
    expect(parseKubeBenchLog(log, 'x').failures).toMatchObject([{ node: 'n1', status: 'over-limit', detail: expect.stringMatching(/more than once/) }]);
  });

  it('keeps MAX_WARNINGS_PER_NODE warnings and counts the rest', () => {
    const r = sampleReport();
    r.Controls.push(...Array.from({ length: 100 }, () => 'not an object' as unknown as (typeof r.Controls)[number]));
    const w = normaliseKubeBench(r, 'x').warnings;
    expect(w).toHaveLength(MAX_WARNINGS_PER_NODE + 1);
    expect(w.at(-1)).toMatch(/more warning\(s\) not kept/);
  });
});

describe('acceptPlannedNodes', () => {
  const parse = (log: string) => parseKubeBenchLog(log, 'log');

  it('keeps planned nodes, refuses the others in one summary line, and a node that answers twice', () => {
    const log = formatPlanLine(['a', 'b']) + nodeLog('a') + nodeLog('b') + nodeLog('b') + nodeLog('x') + nodeLog('y');
    const r = acceptPlannedNodes(parse(log), { maxNodes: 30 }, 'log');
    expect(r.nodes.map((n) => n.node)).toEqual(['a']);
    expect(r.failures).toMatchObject([
      { node: 'b', status: 'over-limit' },
      { node: '(not in plan)', status: 'not-in-plan', detail: expect.stringMatching(/^2 result\(s\).*x, y/) },
    ]);
  });

  it('fails the command beyond the batch size, or with results and no plan', () => {
    const many = formatPlanLine(['a']) + Array.from({ length: 4 }, (_, i) => nodeLog(`n${i}`)).join('');
    expect(() => acceptPlannedNodes(parse(many), { maxNodes: 3 }, 'log')).toThrow(/4 node results.*3 nodes one command scans/);
    expect(() => acceptPlannedNodes(parse(formatPlanLine(['a', 'b', 'c', 'd']) + nodeLog('a')), { maxNodes: 3 }, 'log')).toThrow(LimitError);
    const noPlan = () => acceptPlannedNodes(parse(nodeLog('a')), { maxNodes: 3 }, 'log');
    expect(noPlan).toThrow(InputError);
    expect(noPlan).not.toThrow(LimitError);
  });
});
