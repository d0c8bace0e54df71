/**
 * parse.vs_json_parse: parsing, normalising and totalling one realistic AKS node output, against
 * plain JSON.parse of the same text. The node output is built from the real kube-bench sample:
 * one result per check of aks-1.8's node.yaml, each with the real sample's audit and actual values,
 * which is what a kube-bench run on an AKS node writes.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KubeBenchJsonReport, KubeBenchResult } from '../../src/model/kube-bench.js';
import { parseKubeBenchOutput } from '../../src/parse/index.js';
import type { Figure } from '../measure.js';
import { ratioFigure, timePerCall } from '../measure.js';

const ROOT = new URL('../../', import.meta.url);

interface CfgCheck {
  id: string;
  text: string;
  audit?: string;
  remediation?: string;
  scored?: boolean;
  type?: string;
}

export function realisticNodeOutput(benchmark = 'aks-1.8'): string {
  const sample = JSON.parse(readFileSync(new URL('third_party/kube-bench/samples/real-node-output-cis-1.10-EXCERPT.json', ROOT), 'utf8')) as KubeBenchJsonReport;
  const templates = sample.Controls[0]!.tests!.flatMap((g) => g.results ?? []);
  const cfg = parseYaml(readFileSync(new URL(`third_party/kube-bench/cfg/${benchmark}/node.yaml`, ROOT), 'utf8')) as {
    groups: { id: string; text: string; checks: CfgCheck[] }[];
  };
  let i = 0;
  const tests = cfg.groups.map((g) => {
    const results: KubeBenchResult[] = g.checks.map((c) => {
      const t = templates[i++ % templates.length] as KubeBenchResult;
      const status = i % 3 === 0 ? 'FAIL' : 'PASS';
      return { ...t, test_number: c.id, test_desc: c.text, audit: c.audit ?? t.audit, remediation: c.remediation ?? t.remediation, test_info: [c.remediation ?? ''], status, scored: c.scored ?? true, type: c.type ?? '' };
    });
    const n = (s: string) => results.filter((r) => r.status === s).length;
    return { section: g.id, type: '', pass: n('PASS'), fail: n('FAIL'), warn: n('WARN'), info: n('INFO'), desc: g.text, results };
  });
  const all = tests.flatMap((g) => g.results);
  const n = (s: string) => all.filter((r) => r.status === s).length;
  const report: KubeBenchJsonReport = {
    Controls: [{ id: '3', version: benchmark, detected_version: '1.33', text: 'Worker Node Security Configuration', node_type: 'node', tests, total_pass: n('PASS'), total_fail: n('FAIL'), total_warn: n('WARN'), total_info: n('INFO') }],
    Totals: { total_pass: n('PASS'), total_fail: n('FAIL'), total_warn: n('WARN'), total_info: n('INFO') },
  };
  return JSON.stringify(report);
}

export async function parseFigure(): Promise<Record<string, Figure>> {
  const text = realisticNodeOutput();
  const ours = timePerCall(() => parseKubeBenchOutput(text, 'bench'), 2000);
  const base = timePerCall(() => JSON.parse(text), 2000);
  return {
    'parse.vs_json_parse': ratioFigure(ours, base, 'µs per node output', 2.0, `aks-1.8 node output of ${text.length} bytes; baseline: JSON.parse of the same text`),
  };
}
