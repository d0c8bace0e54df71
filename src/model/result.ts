/**
 * The normalised result the whole product works on. Parsers produce it from every input
 * form (JSON, pod log, envelope, plain text); nothing downstream reads kube-bench's raw shape.
 */
import type { KubeBenchStatus } from './kube-bench.js';

export type CheckStatus = KubeBenchStatus;
export { CHECK_STATUSES } from './kube-bench.js';

/** How kube-bench evaluates a check: automated tests, a manual check (always WARN), or skipped (INFO). */
export type CheckKind = 'automated' | 'manual' | 'skip';

/** The assessment suffix CIS puts on a title: "(Automated)", "(Manual)", or the older "(Scored)"/"(Not Scored)". */
export type Assessment = 'Automated' | 'Manual' | 'Scored' | 'Not Scored';

/** Input forms the parsers understand. */
export type InputFormat = 'json' | 'log' | 'text';

/** Longest `actual` value kept per check, in characters. kube-bench copies whole `ps` lines and config files here. */
export const ACTUAL_VALUE_MAX_CHARS = 2048;

export interface CheckResult {
  /** The check id as written by kube-bench, e.g. "3.2.4". Its meaning depends on `benchmark`. */
  id: string;
  /** e.g. "aks-1.8"; null when the input does not say (plain text). */
  benchmark: string | null;
  /** The group id, e.g. "3.2"; null when unknown. */
  section: string | null;
  /** The check's text without its assessment suffix. */
  title: string;
  assessment: Assessment | null;
  status: CheckStatus;
  /** Scored checks FAIL; unscored ones only WARN. Null when the input does not say. */
  scored: boolean | null;
  kind: CheckKind;
  /** kube-bench's node_type of the controls file: "node", "master", "controlplane", "policies", "managedservices". */
  nodeType: string | null;
  expected: string | null;
  /** Trimmed to ACTUAL_VALUE_MAX_CHARS; `actualTruncated` says when it was cut. */
  actual: string | null;
  actualTruncated?: boolean;
  remediation: string | null;
  reason: string | null;
}

export interface Totals {
  pass: number;
  fail: number;
  warn: number;
  info: number;
}

/** A section header line of the text format, e.g. "[INFO] 3.1 Worker Node Configuration Files". */
export interface SectionHeader {
  id: string;
  title: string;
}

/** One node's kube-bench run. */
export interface NodeResult {
  /** The node it came from, when the input names it (envelopes do). */
  node: string | null;
  pool: string | null;
  benchmark: string | null;
  /** kube-bench's detected Kubernetes version, when written. */
  detectedVersion: string | null;
  checks: CheckResult[];
  /** Always counted from `checks`; declared totals only produce warnings when they disagree. */
  totals: Totals;
  headers: SectionHeader[];
  warnings: string[];
}

/** A node for which the input carried no usable result: cut off, corrupt, or a status line from our Job. */
export interface NodeFailure {
  node: string;
  pool: string | null;
  /** 'truncated' | 'corrupt' | a Job status such as 'unschedulable', 'admission-denied', 'failed', 'image-pull'. */
  status: string;
  detail: string;
}

/** Everything one input yielded. */
export interface ParsedInput {
  format: InputFormat;
  nodes: NodeResult[];
  failures: NodeFailure[];
  warnings: string[];
}

export function emptyTotals(): Totals {
  return { pass: 0, fail: 0, warn: 0, info: 0 };
}

export function countTotals(checks: readonly CheckResult[]): Totals {
  const t = emptyTotals();
  for (const c of checks) {
    if (c.status === 'PASS') t.pass++;
    else if (c.status === 'FAIL') t.fail++;
    else if (c.status === 'WARN') t.warn++;
    else t.info++;
  }
  return t;
}

export function addTotals(a: Totals, b: Totals): Totals {
  return { pass: a.pass + b.pass, fail: a.fail + b.fail, warn: a.warn + b.warn, info: a.info + b.info };
}

/** Orders check ids as people read them: 3.2.9 before 3.2.10. */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
