/**
 * `aks-fleet-scanner diff <old> <new>`: what changed between two kube-bench outputs, for a CI
 * pipeline that checks a node image or a cluster before and after a change. The same comparison
 * as the scanner's alerts (src/diff): checks are matched by knowledge-base topic, so a benchmark
 * upgrade renumbering checks is no change, and a check only one benchmark has is coverage added or
 * removed, not a new FAIL or a fix.
 *
 * Checks are keyed by pool when the input names pools (our Job's envelopes), else by node when a
 * file holds several nodes, else by topic alone (one node: a node image is compared with the next
 * even though the node's name changes).
 */
import { parseArgs } from 'node:util';
import type { CheckChanges } from '../diff/coverage.js';
import { compareChecks } from '../diff/coverage.js';
import type { DiffCheck, DiffItem } from '../diff/diff.js';
import { triageCheck } from '../knowledge/index.js';
import type { CheckStatus, InputFormat, ParsedInput } from '../model/result.js';
import { compareIds } from '../model/result.js';
import { toCsv } from '../report/csv.js';
import { md, statusTag } from '../report/render-explain.js';
import type { Style } from '../report/style.js';
import { styleFor } from '../report/style.js';
import { formatsOf, KUBE_BENCH_INPUT_OPTIONS, readKubeBenchInput } from './explain.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';

/** What a check is keyed by besides its topic. */
type KeyedBy = 'pool' | 'node' | 'none';

const RANK: Record<CheckStatus, number> = { FAIL: 3, WARN: 2, PASS: 1, INFO: 0 };

export interface DiffSide {
  input: string;
  format: InputFormat;
  benchmarks: (string | null)[];
  nodes: string[];
}

export interface DiffRow {
  key: string;
  /** The pool or node the check was keyed by; null when keyed by topic alone. */
  where: string | null;
  topic: string | null;
  benchmark: string | null;
  id: string;
  title: string;
  disposition: string | null;
  before: CheckStatus | null;
  after: CheckStatus | null;
  failingNodes: string[];
  whatToDo: string | null;
}

export interface DiffReport {
  old: DiffSide;
  new: DiffSide;
  keyedBy: KeyedBy;
  summary: Record<Section, number>;
  newFailures: DiffRow[];
  fixed: DiffRow[];
  stillFailing: DiffRow[];
  newWarnings: DiffRow[];
  coverageAdded: DiffRow[];
  coverageRemoved: DiffRow[];
}

const SECTIONS = ['newFailures', 'fixed', 'stillFailing', 'newWarnings', 'coverageAdded', 'coverageRemoved'] as const;
type Section = (typeof SECTIONS)[number];
const HEADINGS: Record<Section, string> = {
  newFailures: 'New FAIL',
  fixed: 'Fixed',
  stillFailing: 'Still failing',
  newWarnings: 'New WARN',
  coverageAdded: 'Coverage added (checks only the new benchmark has)',
  coverageRemoved: 'Coverage removed (checks only the old benchmark had)',
};

/** Several nodes and no pools: key by node. Pools when the input names them. */
function keyedBy(a: ParsedInput, b: ParsedInput): KeyedBy {
  const nodes = [...a.nodes, ...b.nodes];
  if (nodes.some((n) => n.pool !== null)) return 'pool';
  return a.nodes.length > 1 || b.nodes.length > 1 ? 'node' : 'none';
}

/** One check per (pool or node, benchmark, id), worst status over the nodes, as the store rolls a scan up. */
function rollUp(parsed: ParsedInput, by: KeyedBy): DiffCheck[] {
  const out = new Map<string, DiffCheck>();
  parsed.nodes.forEach((n, i) => {
    const node = n.node ?? `node ${i + 1}`;
    const where = by === 'pool' ? (n.pool ?? '-') : by === 'node' ? node : null;
    for (const c of n.checks) {
      const k = `${where ?? ''}\u0000${c.benchmark ?? '-'}:${c.id}`;
      let s = out.get(k);
      if (!s) {
        const t = triageCheck(c);
        s = {
          pool: where,
          id: c.id,
          benchmark: c.benchmark,
          title: c.title,
          status: c.status,
          failingNodes: [],
          topic: t?.topic ?? null,
          disposition: t?.disposition ?? null,
        };
        out.set(k, s);
      }
      if (RANK[c.status] > RANK[s.status]) s.status = c.status;
      if (c.status === 'FAIL' && !s.failingNodes.includes(node)) s.failingNodes.push(node);
    }
  });
  return [...out.values()];
}

function row(it: DiffItem): DiffRow {
  return {
    key: it.key,
    where: it.pool,
    topic: it.topic,
    benchmark: it.benchmark,
    id: it.id,
    title: it.title,
    disposition: it.disposition,
    before: it.before,
    after: it.after,
    failingNodes: it.failingNodes,
    whatToDo: triageCheck({ id: it.id, benchmark: it.benchmark, title: it.title })?.whatToDo ?? null,
  };
}

function side(input: string, p: ParsedInput): DiffSide {
  return {
    input,
    format: p.format,
    benchmarks: [...new Set(p.nodes.flatMap((n) => n.checks.map((c) => c.benchmark)))],
    nodes: p.nodes.map((n, i) => n.node ?? `node ${i + 1}`),
  };
}

const byId = (a: DiffRow, b: DiffRow): number => compareIds(a.id, b.id) || (a.where ?? '').localeCompare(b.where ?? '');

/** The report of two parsed outputs: pure, so tests and a future HTTP route can share it. */
export function buildDiffReport(oldInput: string, oldParsed: ParsedInput, newInput: string, newParsed: ParsedInput): DiffReport {
  const by = keyedBy(oldParsed, newParsed);
  const c: CheckChanges = compareChecks(rollUp(oldParsed, by), rollUp(newParsed, by));
  const rows = (s: Section): DiffRow[] => c[s].map(row).sort(byId);
  const sections = Object.fromEntries(SECTIONS.map((s) => [s, rows(s)])) as Record<Section, DiffRow[]>;
  return {
    old: side(oldInput, oldParsed),
    new: side(newInput, newParsed),
    keyedBy: by,
    summary: Object.fromEntries(SECTIONS.map((s) => [s, sections[s].length])) as Record<Section, number>,
    ...sections,
  };
}

function whereText(r: DiffRow, by: KeyedBy): string {
  return r.where === null ? '' : ` (${by} ${r.where})`;
}

function benchmarksText(s: DiffSide): string {
  return s.benchmarks.map((b) => b ?? 'unknown').join(', ');
}

function summaryLine(r: DiffReport): string {
  const s = r.summary;
  return (
    `${s.newFailures} new FAIL, ${s.fixed} fixed, ${s.stillFailing} still failing, ${s.newWarnings} new WARN; ` +
    `coverage +${s.coverageAdded} −${s.coverageRemoved} (${benchmarksText(r.old)} → ${benchmarksText(r.new)})`
  );
}

export function renderDiffText(r: DiffReport, st: Style): string {
  const out: string[] = [`${st.bold('kube-bench diff')}: ${r.old.input} → ${r.new.input}`];
  for (const s of SECTIONS) {
    if (s === 'stillFailing' && r.stillFailing.length > 0) {
      out.push('', st.bold(`${HEADINGS[s]} (${r.stillFailing.length})`), `  ${r.stillFailing.map((x) => `${x.id}${x.where ? `@${x.where}` : ''}`).join(', ')}`);
      continue;
    }
    if (r[s].length === 0) continue;
    out.push('', st.bold(`${HEADINGS[s]} (${r[s].length})`));
    for (const x of r[s]) {
      const now = x.after ?? x.before ?? 'INFO';
      const was = s === 'coverageAdded' || s === 'coverageRemoved' ? '' : `, was ${x.before ?? 'not reported'}`;
      const gone = x.after === null && s === 'fixed' ? ' no longer reported' : '';
      out.push(`  ${statusTag(now, st)}${gone} ${x.id} ${x.title}${whereText(x, r.keyedBy)}${was}`);
      if (s === 'newFailures' || s === 'newWarnings') {
        out.push(st.dim(`      ${x.disposition ?? 'not in the knowledge base'}${x.whatToDo ? `: ${x.whatToDo}` : ''}`));
        if (x.failingNodes.length > 1) out.push(st.dim(`      nodes: ${x.failingNodes.join(', ')}`));
      }
    }
  }
  out.push('', st.bold('Summary'), `  ${summaryLine(r)}`);
  return out.join('\n') + '\n';
}

export function renderDiffMarkdown(r: DiffReport): string {
  const out: string[] = [`# kube-bench diff: ${md(r.old.input)} → ${md(r.new.input)}`, '', summaryLine(r)];
  for (const s of SECTIONS) {
    if (r[s].length === 0) continue;
    out.push(
      '',
      `## ${HEADINGS[s]} (${r[s].length})`,
      '',
      '| check | title | where | before | after | disposition | what to do |',
      '|---|---|---|---|---|---|---|',
    );
    for (const x of r[s]) {
      out.push(`| ${md(x.id)} | ${md(x.title)} | ${md(x.where ?? '')} | ${x.before ?? ''} | ${x.after ?? ''} | ${md(x.disposition)} | ${md(x.whatToDo)} |`);
    }
  }
  return out.join('\n') + '\n';
}

export const DIFF_CSV_HEADER = [
  'change',
  'where',
  'topic',
  'benchmark',
  'id',
  'title',
  'disposition',
  'before',
  'after',
  'failing_nodes',
  'what_to_do',
] as const;

export function renderDiffCsv(r: DiffReport): string {
  const rows = SECTIONS.flatMap((s) =>
    r[s].map((x) => [s, x.where, x.topic, x.benchmark, x.id, x.title, x.disposition, x.before, x.after, x.failingNodes.join(' '), x.whatToDo]),
  );
  return toCsv(DIFF_CSV_HEADER, rows);
}

export async function diffCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { ...KUBE_BENCH_INPUT_OPTIONS, 'fail-on-new': { type: 'boolean' } },
  });
  const { format, inputFormat } = formatsOf(values);
  if (positionals.length !== 2) throw new UsageError(`diff takes two input files, old and new, not ${positionals.length}; see aks-fleet-scanner diff --help`);
  if (positionals[0] === '-' && positionals[1] === '-') throw new UsageError('diff reads at most one input from stdin (-)');
  const before = await readKubeBenchInput(positionals[0] as string, io, inputFormat);
  const after = await readKubeBenchInput(positionals[1] as string, io, inputFormat);
  const report = buildDiffReport(before.input, before.parsed, after.input, after.parsed);

  if (format === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else if (format === 'markdown') io.stdout.write(renderDiffMarkdown(report));
  else if (format === 'csv') io.stdout.write(renderDiffCsv(report));
  else io.stdout.write(renderDiffText(report, styleFor(io.stdout, io.env)));
  return values['fail-on-new'] && report.newFailures.length > 0 ? 1 : 0;
}
