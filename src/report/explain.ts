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
  /** Why the check misfired on AKS (e.g. "the flag was absent, not set to 0"), when known. */
  misfire?: string | null;
  /** The Kubernetes version the verdict was made for; null: the verdict for current AKS. */
  kubernetesVersion?: string | null;
  /** The version range that decided the verdict, e.g. "below 1.27". */
  versionRule?: string | null;
}

export type Triager = (check: CheckResult) => CheckTriage | null;

/** A waiver as the report shows it. */
export interface WaiverMark {
  id: string;
  reason: string;
  owner: string;
  expires: string | null;
  source: Waiver['source'];
}

export type WaiverLookup = (check: CheckResult, node: { node: string | null; pool: string | null }) => WaiverMark | null;

import type { Waiver } from '../model/knowledge.js';
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

/** The Kubernetes version the verdicts were made for, and where it was read. */
export interface KubernetesVersionInfo {
  version: string;
  /** option: --kubernetes-version; kube-bench: the JSON's detected_version; log: a kube-bench log line; prose: text around a pasted output. */
  from: 'option' | 'kube-bench' | 'log' | 'prose';
  raw: string;
  note: string | null;
}

/** What the legacy headline needs to know of the output, from the knowledge base. */
export interface LegacyFacts {
  legacyIds: string[];
  unsupportedVersion: { version: string; oldestSupported: string; asOf: string } | null;
}

/**
 * The headline of an output from a node nobody should still run: pre-AKS numbering or an unsupported
 * Kubernetes version. Every format leads with it.
 */
export interface LegacyHeadline {
  /** One line: what this output is. */
  headline: string;
  reasons: string[];
  /** The FAILs that were real on that node (yours to fix or decide at its version). */
  realFails: { id: string; title: string; whatToDo: string }[];
  /** The single action. */
  action: string;
}

export interface ExplainReport {
  /** `node` and `pool` name the node when the input holds exactly one and says which. */
  source: {
    input: string;
    format: InputFormat;
    benchmark: string | null;
    node?: string;
    pool?: string;
    /** Absent when neither the option nor the input says; verdicts are then those for current AKS. */
    kubernetesVersion?: KubernetesVersionInfo;
  };
  /** Present for a legacy output (pre-AKS numbering or an unsupported version). */
  legacy?: LegacyHeadline;
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
  kubernetesVersion?: KubernetesVersionInfo | null;
  /** Tells a legacy output from a current one (the knowledge base knows the legacy ids). */
  legacy?: (checks: readonly CheckResult[]) => LegacyFacts | null;
}

/** The headline for a legacy output: what it is, which FAILs were real on it, and the one thing to do. */
export function legacyHeadline(facts: LegacyFacts, checks: readonly ExplainCheck[], version: KubernetesVersionInfo | null): LegacyHeadline {
  const reasons: string[] = [];
  if (facts.legacyIds.length) {
    reasons.push(
      `It uses pre-AKS benchmark numbering (${facts.legacyIds.length} checks numbered like ${facts.legacyIds.slice(0, 3).join(', ')}: ` +
        `the 2.x node sections of kube-bench's CIS 1.x editions, from before kube-bench had aks-* benchmarks).`,
    );
  }
  const u = facts.unsupportedVersion;
  if (u) {
    reasons.push(
      `The node ran Kubernetes ${u.version}${version?.note ? ` (${version.note})` : ''}, which AKS no longer supports ` +
        `(oldest supported minor ${u.oldestSupported}, as of ${u.asOf}).`,
    );
  } else if (!version) {
    reasons.push(
      'The input does not say which Kubernetes version the node ran: pass --kubernetes-version X.Y to judge its FAILs for that version; the verdicts below are for current AKS.',
    );
  } else {
    reasons.push(`The node ran Kubernetes ${version.version} (${version.from === 'option' ? '--kubernetes-version' : `read from the input: ${version.raw}`}).`);
  }
  const realFails = checks
    .filter((c) => c.status === 'FAIL' && (c.aks?.disposition === 'action' || c.aks?.disposition === 'environment'))
    .map((c) => ({ id: c.id, title: c.title, whatToDo: c.aks?.whatToDo ?? '' }));
  const current = '(kube-bench --benchmark aks-1.8, or aks-fleet-scanner scan)';
  const oldest = u?.oldestSupported;
  return {
    headline: u
      ? `Legacy output: the node ran Kubernetes ${u.version}, which AKS no longer supports.`
      : 'Legacy output: this kube-bench run uses pre-AKS benchmark numbering (2.x node checks).',
    reasons,
    realFails,
    action: u
      ? `Upgrade the cluster and its node pools to a supported Kubernetes version (${oldest} or later; az aks upgrade), then scan again with the current benchmark ${current}.`
      : version
        ? `Scan again with the current benchmark ${current}: this output's checks predate kube-bench's AKS benchmarks and cannot be compared with today's.`
        : `Upgrade the cluster if it runs a Kubernetes version AKS no longer supports, then scan again with the current benchmark ${current}.`,
  };
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
  const version = opts.kubernetesVersion ?? null;
  const allChecks = nodes.flatMap((n) => n.checks);
  const facts = opts.legacy?.(parsed.nodes.flatMap((n) => n.checks)) ?? null;
  const report: ExplainReport = {
    source: {
      input,
      format: parsed.format,
      benchmark: benchmarks.length === 1 ? (benchmarks[0] as string) : null,
      ...(only?.node ? { node: only.node } : {}),
      ...(only?.pool ? { pool: only.pool } : {}),
      ...(version ? { kubernetesVersion: version } : {}),
    },
    ...(facts ? { legacy: legacyHeadline(facts, allChecks, version) } : {}),
    totals,
    triage,
    checks: allChecks,
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
