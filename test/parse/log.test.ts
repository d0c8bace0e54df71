import { describe, expect, it } from 'vitest';
import { encodeEnvelope, formatStatusLine, scanEnvelopes } from '../../src/model/envelope.js';
import { detectFormat, normaliseKubeBench, parseKubeBenchOutput } from '../../src/parse/index.js';
import { sampleReport } from '../fixtures/reports.js';

const report = sampleReport();
const json = JSON.stringify(report);
const expected = normaliseKubeBench(report, 'x');

const GLOG = [
  'W0610 12:00:00.000000    1 util.go:293] Kubernetes version was not auto-detected',
  'Warning: Kubernetes version was not auto-detected',
  'I0610 12:00:00.123456    1 common.go:312] Using config file: cfg/aks-1.8/config.yaml',
];

describe('pod logs', () => {
  it('finds the JSON line among glog lines and warnings', () => {
    const log = [...GLOG.slice(0, 2), json, GLOG[2], ''].join('\n');
    expect(detectFormat(log)).toBe('log');
    const r = parseKubeBenchOutput(log, 'pod.log');
    expect(r.format).toBe('log');
    expect(r.nodes).toHaveLength(1);
    expect(r.nodes[0]!.checks).toEqual(expected.checks);
    expect(r.warnings).toEqual(['3 log line(s) around the JSON were ignored (kube-bench stderr)']);
  });

  it('reads the bare array written with --nototals', () => {
    const r = parseKubeBenchOutput(JSON.stringify(report.Controls), 'nototals.json');
    expect(r.format).toBe('json');
    expect(r.nodes[0]!.checks).toEqual(expected.checks);
    expect(r.nodes[0]!.warnings).toEqual([]);
  });
});

describe('envelopes', () => {
  it('round-trips one node', () => {
    const env = encodeEnvelope(json, { node: 'aks-system-12345678-vmss000000', pool: 'system', benchmark: 'aks-1.8', format: 'json' });
    const { records } = scanEnvelopes(env);
    expect(records).toEqual([
      { kind: 'payload', meta: { node: 'aks-system-12345678-vmss000000', pool: 'system', benchmark: 'aks-1.8', format: 'json' }, payload: json },
    ]);
  });

  it('parses several nodes into one result per node, with statuses and script chatter around them', () => {
    const nodes = ['aks-system-1-vmss000000', 'aks-user-2-vmss000000', 'aks-gpu-3-vmss000001'];
    const log = [
      'aksfs: namespace aksfs-abc created',
      ...GLOG,
      encodeEnvelope(json, { node: nodes[0]!, pool: 'system', benchmark: 'cis-1.10', format: 'json' }),
      'job.batch/kube-bench-1 condition met',
      encodeEnvelope(json, { node: nodes[1]!, pool: 'user', benchmark: 'cis-1.10', format: 'json' }),
      formatStatusLine({
        node: nodes[2]!,
        pool: 'gpu',
        status: 'admission-denied',
        reason: 'admission webhook "validation.gatekeeper.sh" denied the request: [k8sazurev2noprivilege] privileged',
      }),
    ].join('\n');
    expect(detectFormat(log)).toBe('log');
    const r = parseKubeBenchOutput(log, 'run-command');
    expect(r.nodes.map((n) => [n.node, n.pool, n.totals])).toEqual([
      [nodes[0], 'system', expected.totals],
      [nodes[1], 'user', expected.totals],
    ]);
    expect(r.failures).toEqual([
      {
        node: nodes[2],
        pool: 'gpu',
        status: 'admission-denied',
        detail: 'admission webhook "validation.gatekeeper.sh" denied the request: [k8sazurev2noprivilege] privileged',
      },
    ]);
  });

  it('reports a cut-off envelope for its node, and the others still parse', () => {
    const first = encodeEnvelope(json, { node: 'n1', pool: 'p', benchmark: 'aks-1.8', format: 'json' });
    const second = encodeEnvelope(json, { node: 'n2', pool: 'p', benchmark: 'aks-1.8', format: 'json' });
    // The 512 kB cap cuts the output mid-payload.
    const cut = first + second.slice(0, Math.floor(second.length / 2));
    const r = parseKubeBenchOutput(cut, 'run-command');
    expect(r.nodes.map((n) => n.node)).toEqual(['n1']);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ node: 'n2', pool: 'p', status: 'truncated' });
  });

  it('tells a corrupted payload from a complete one by its hash', () => {
    const env = encodeEnvelope(json, { node: 'n1', pool: null, benchmark: null, format: 'json' });
    const other = encodeEnvelope(json.replace('cis-1.10', 'cis-1.11'), { node: 'n1', pool: null, benchmark: null, format: 'json' });
    // The body of one payload with the END line (hash) of another.
    const lines = env.trimEnd().split('\n');
    const forged = [...lines.slice(0, -1), other.trimEnd().split('\n').at(-1)].join('\n');
    const r = parseKubeBenchOutput(forged, 'run-command');
    expect(r.nodes).toEqual([]);
    expect(r.failures[0]).toMatchObject({ node: 'n1', status: 'corrupt' });
    expect(r.failures[0]!.detail).toMatch(/sha256/);
  });

  it('reports a payload that is not kube-bench JSON as corrupt for that node', () => {
    const env = encodeEnvelope('{"not":"kube-bench"}', { node: 'n1', pool: 'p', benchmark: 'aks-1.8', format: 'json' });
    const r = parseKubeBenchOutput(env, 'run-command');
    expect(r.failures).toEqual([{ node: 'n1', pool: 'p', status: 'corrupt', detail: expect.stringMatching(/not kube-bench output/) }]);
  });

  it('keeps reasons with spaces and strips marker-like text from them', () => {
    const line = formatStatusLine({ node: 'n', pool: null, status: 'failed', reason: 'exit 1 === boom\nsecond line' });
    const { records } = scanEnvelopes(line);
    expect(records).toEqual([{ kind: 'status', status: { node: 'n', pool: null, status: 'failed', reason: 'exit 1 = = = boom second line' } }]);
  });
});

describe('envelopes cut by the output cap', () => {
  it('a cut inside the END line is truncation, not corruption', () => {
    const env = encodeEnvelope(json, { node: 'n1', pool: 'p', benchmark: 'aks-1.8', format: 'json' });
    const cut = env.slice(0, env.lastIndexOf('sha256=') + 10);
    const r = parseKubeBenchOutput(cut, 'run-command');
    expect(r.failures).toEqual([expect.objectContaining({ node: 'n1', status: 'truncated' })]);
  });
});

describe('envelopes cut at awkward places', () => {
  const e = (node: string) => encodeEnvelope(json, { node, pool: 'p', benchmark: 'aks-1.8', format: 'json' });

  it('a log cut inside the next BEGIN line reports that node as truncated', () => {
    for (const n of [3, 12, 30, 60]) {
      const r = parseKubeBenchOutput(e('n1') + e('n2').slice(0, n), 'run-command');
      expect(r.nodes.map((x) => x.node)).toEqual(['n1']);
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]!.status).toBe('truncated');
      if (n >= 30) expect(r.failures[0]!.node).toBe('n2');
    }
  });

  it('a payload line cut mid-way and followed by the next envelope on the same line loses only the cut node', () => {
    const first = e('n1');
    const cut = first.slice(0, Math.floor(first.length / 2)); // no newline at the cut
    const r = parseKubeBenchOutput(cut + e('n2') + e('n3'), 'run-command');
    expect(r.nodes.map((x) => x.node)).toEqual(['n2', 'n3']);
    expect(r.failures.map((f) => f.node)).toEqual(['n1']);
  });
});
