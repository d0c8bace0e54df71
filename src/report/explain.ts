/**
 * The explain report: parsed nodes plus the knowledge base's triage, as one plain object that
 * every output format (text, JSON, markdown, CSV) renders. Field names of the JSON form are a
 * contract: later versions add fields, never rename these.
 */
import type { CheckResult, CheckStatus, InputFormat, NodeFailure, ParsedInput, Totals } from '../model/result.js';
import { addTotals, emptyTotals } from '../model/result.js';

/** The knowledge base's verdict on one check, as the report needs it. */
export interface CheckTriage {
  topic: string;
  disposition: string;
  responsibility: string;
  /** The threat, in plain sentences. */
  why?: string;
  /** Why this disposition on AKS. */
  rationale: string;
  /** The answer to a question operators ask about this check, when the knowledge base has one. */
  answers?: string | null;
  mitigation: string;
  verify: string;
  sources: string[];
  whatToDo: string;
}

export type Triager = (check: CheckResult) => CheckTriage | null;

/** A waiver as the report shows it. */
export interface WaiverMark {
  id: string;
  reason: string;
  owner: string;
  expires: string | null;
  source: 'default' | 'file';
}

export type WaiverLookup = (check: CheckResult, node: { node: string | null; pool: string | null }) => WaiverMark | null;

import { emptyTriageCounts, TRIAGE_KEYS, triageKeyOf } from '../model/knowledge.js';
import type { TriageKey } from '../model/knowledge.js';
export { TRIAGE_KEYS } from '../model/knowledge.js';
export type { TriageKey } from '../model/knowledge.js';
export type TriageCounts = Record<TriageKey, number>;

export interface ExplainCheck {
  id: string;
  status: CheckStatus;
  title: string;
  scored: boolean | null;
  benchmark: string | null;
  expected: string | null;
  actual: string | null;
  /** Present (true) when `actual` was cut to ACTUAL_VALUE_MAX_CHARS. */
  actualTruncated?: boolean;
  remediation: string | null;
  section: string | null;
  kind: CheckResult['kind'];
  assessment: CheckResult['assessment'];
  reason: string | null;
  node?: string | null;
  aks: CheckTriage | null;
  waiver: WaiverMark | null;
}

export interface ExplainNode {
  node: string | null;
  pool: string | null;
  benchmark: string | null;
  totals: Totals;
  triage: TriageCounts;
  checks: ExplainCheck[];
  warnings: string[];
}

export interface ExplainReport {
  /** `node` and `pool` name the node when the input holds exactly one and says which. */
  source: { input: string; format: InputFormat; benchmark: string | null; node?: string; pool?: string };
  totals: Totals;
  /** Counts FAIL and WARN checks by disposition; waivers do not change what a check is. */
  triage: TriageCounts;
  checks: ExplainCheck[];
  warnings: string[];
  nodes?: ExplainNode[];
  failures?: NodeFailure[];
  waivers?: { applied: number; expired: WaiverMark[] };
}

export function emptyTriage(): TriageCounts {
  return emptyTriageCounts();
}

/** The triage bucket of a non-passing check. */
export function triageKey(t: CheckTriage | null): TriageKey {
  return triageKeyOf(t?.disposition);
}

export interface ExplainOptions {
  triage?: Triager;
  waivers?: WaiverLookup;
  expiredWaivers?: WaiverMark[];
}

export function buildExplainReport(parsed: ParsedInput, input: string, opts: ExplainOptions = {}): ExplainReport {
  const triager: Triager = opts.triage ?? (() => null);
  const multi = parsed.nodes.length > 1 || parsed.failures.length > 0;
  const nodes: ExplainNode[] = parsed.nodes.map((n) => {
    const counts = emptyTriage();
    const checks = n.checks.map((c): ExplainCheck => {
      const aks = triager(c);
      const waiver = opts.waivers?.(c, n) ?? null;
      if (c.status === 'FAIL' || c.status === 'WARN') counts[triageKey(aks)]++;
      const out: ExplainCheck = {
        id: c.id,
        status: c.status,
        title: c.title,
        scored: c.scored,
        benchmark: c.benchmark,
        expected: c.expected,
        actual: c.actual,
        remediation: c.remediation,
        section: c.section,
        kind: c.kind,
        assessment: c.assessment,
        reason: c.reason,
        aks,
        waiver,
      };
      if (c.actualTruncated) out.actualTruncated = true;
      if (multi) out.node = n.node;
      return out;
    });
    return { node: n.node, pool: n.pool, benchmark: n.benchmark, totals: n.totals, triage: counts, checks, warnings: n.warnings };
  });

  let totals = emptyTotals();
  const triage = emptyTriage();
  for (const n of nodes) {
    totals = addTotals(totals, n.totals);
    for (const k of TRIAGE_KEYS) triage[k] += n.triage[k];
  }
  const benchmarks = [...new Set(nodes.map((n) => n.benchmark).filter((b): b is string => b !== null))];
  const only = !multi ? nodes[0] : undefined;
  const report: ExplainReport = {
    source: {
      input,
      format: parsed.format,
      benchmark: benchmarks.length === 1 ? (benchmarks[0] as string) : null,
      ...(only?.node ? { node: only.node } : {}),
      ...(only?.pool ? { pool: only.pool } : {}),
    },
    totals,
    triage,
    checks: nodes.flatMap((n) => n.checks),
    warnings: [...parsed.warnings, ...nodes.flatMap((n) => (multi && n.node ? n.warnings.map((w) => `node ${n.node}: ${w}`) : n.warnings))],
  };
  if (multi) {
    report.nodes = nodes;
    report.failures = parsed.failures;
  }
  if (opts.waivers) {
    report.waivers = { applied: report.checks.filter((c) => c.waiver).length, expired: opts.expiredWaivers ?? [] };
  }
  return report;
}
