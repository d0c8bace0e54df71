/**
 * kube-bench JSON → normalised results. Accepts both shapes (`{Controls, Totals}` and the bare
 * array of `--nototals`) and old releases. Validation is hand-written and shallow on purpose:
 * this runs on every node of every cluster, and `bench/` holds it to 2x the cost of JSON.parse.
 */
import { InputError, errorMessage } from '../model/errors.js';
import type { KubeBenchControls, KubeBenchGroup, KubeBenchResult, KubeBenchTotals } from '../model/kube-bench.js';
import { ACTUAL_VALUE_MAX_CHARS, CHECK_STATUSES, countTotals } from '../model/result.js';
import type { CheckResult, CheckStatus, NodeResult, Totals } from '../model/result.js';
import { LimitError, MAX_CHECKS_PER_NODE, Warnings } from './limits.js';
import { redactSecrets } from './redact.js';
import { kindOfType, sectionOf, splitTitle } from './title.js';

export interface NodeMeta {
  node: string | null;
  pool: string | null;
}

const NO_META: NodeMeta = { node: null, pool: null };
const STATUSES = new Set<string>(CHECK_STATUSES);

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json): string {
  return typeof v === 'string' ? v : '';
}

function num(v: Json): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Parses JSON text; the error names the input and where it broke. */
export function parseJsonText(text: string, input: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    const why = errorMessage(e);
    throw new InputError(input, `is not valid JSON (${why}); truncated output?`);
  }
}

/** True when the value has kube-bench's shape (either form), without walking it. */
export function looksLikeKubeBench(v: Json): boolean {
  if (isObject(v)) return Array.isArray(v['Controls']);
  return Array.isArray(v) && v.length > 0 && isObject(v[0]) && Array.isArray((v[0] as Record<string, Json>)['tests']);
}

/** Normalises a parsed kube-bench document into one node's result. */
export function normaliseKubeBench(doc: Json, input: string, meta: NodeMeta = NO_META): NodeResult {
  let controls: Json[];
  let declared: KubeBenchTotals | null = null;
  if (isObject(doc)) {
    if (!Array.isArray(doc['Controls'])) {
      const keys = Object.keys(doc).slice(0, 5).join(', ') || 'none';
      throw new InputError(input, `is JSON but not kube-bench output: no "Controls" array (top-level keys: ${keys})`);
    }
    controls = doc['Controls'];
    if (isObject(doc['Totals'])) declared = doc['Totals'] as unknown as KubeBenchTotals;
  } else if (Array.isArray(doc)) {
    controls = doc;
  } else {
    throw new InputError(input, `is JSON but not kube-bench output: expected an object or an array, got ${doc === null ? 'null' : typeof doc}`);
  }

  const checks: CheckResult[] = [];
  const warnings = new Warnings();
  // Counted before anything is built, so a crafted document with millions of results costs little.
  let entries = 0;
  let benchmark: string | null = null;
  let detectedVersion: string | null = null;

  controls.forEach((c, ci) => {
    if (!isObject(c)) {
      warnings.push(`controls entry ${ci} is not an object; skipped`);
      return;
    }
    const ctl = c as unknown as KubeBenchControls;
    // Old releases wrote the bare CIS edition ("1.5"); kube-bench names it cis-1.5 today.
    const written = str(ctl.version);
    const version = /^\d+\.\d+$/.test(written) ? `cis-${written}` : written || null;
    benchmark ??= version;
    if (ctl.detected_version) detectedVersion ??= str(ctl.detected_version);
    const nodeType = str(ctl.node_type) || null;
    const groups = Array.isArray(ctl.tests) ? ctl.tests : [];
    const before = checks.length;
    for (const g of groups as Json[]) {
      if (!isObject(g)) continue;
      const group = g as unknown as KubeBenchGroup;
      const results = Array.isArray(group.results) ? group.results : [];
      const gBefore = checks.length;
      entries += results.length;
      if (entries > MAX_CHECKS_PER_NODE) {
        throw new LimitError(input, `has more than ${MAX_CHECKS_PER_NODE} check results, the limit per node (MAX_CHECKS_PER_NODE)`);
      }
      for (const r of results as Json[]) {
        if (!isObject(r)) continue;
        const check = normaliseResult(r as unknown as KubeBenchResult, str(group.section) || null, version, nodeType);
        if (check) checks.push(check);
        else warnings.push(`control ${str(ctl.id)}: a result without a valid test_number/status was skipped`);
      }
      compareTotals(
        warnings,
        `section ${str(group.section)}`,
        { pass: num(group.pass), fail: num(group.fail), warn: num(group.warn), info: num(group.info) },
        countTotals(checks.slice(gBefore)),
      );
    }
    compareTotals(
      warnings,
      `control ${str(ctl.id)} (${nodeType ?? 'unknown type'})`,
      { pass: num(ctl.total_pass), fail: num(ctl.total_fail), warn: num(ctl.total_warn), info: num(ctl.total_info) },
      countTotals(checks.slice(before)),
    );
  });

  const totals = countTotals(checks);
  if (declared) {
    compareTotals(
      warnings,
      'Totals',
      { pass: num(declared.total_pass), fail: num(declared.total_fail), warn: num(declared.total_warn), info: num(declared.total_info) },
      totals,
    );
  }
  if (checks.length === 0) {
    throw new InputError(input, 'is kube-bench JSON without a single check result: nothing was checked');
  }
  return { node: meta.node, pool: meta.pool, benchmark, detectedVersion, checks, totals, headers: [], warnings: warnings.done() };
}

function normaliseResult(r: KubeBenchResult, section: string | null, benchmark: string | null, nodeType: string | null): CheckResult | null {
  const id = str(r.test_number);
  const status = str(r.status);
  if (!id || !STATUSES.has(status)) return null;
  const { title, assessment } = splitTitle(str(r.test_desc));
  const rawActual = redactSecrets(str(r.actual_value));
  const truncated = rawActual.length > ACTUAL_VALUE_MAX_CHARS;
  const check: CheckResult = {
    id,
    benchmark,
    section: section ?? sectionOf(id),
    title,
    assessment,
    status: status as CheckStatus,
    scored: typeof r.scored === 'boolean' ? r.scored : null,
    kind: kindOfType(r.type),
    nodeType,
    expected: str(r.expected_result) || null,
    actual: rawActual ? (truncated ? rawActual.slice(0, ACTUAL_VALUE_MAX_CHARS) : rawActual) : null,
    remediation: str(r.remediation) || null,
    reason: str(r.reason) || null,
  };
  if (truncated) check.actualTruncated = true;
  return check;
}

/** The checks win; a declared count that disagrees becomes a warning (kube-bench's own fixtures disagree). */
export function compareTotals(warnings: { push(w: string): unknown }, where: string, declared: Totals, counted: Totals): void {
  const diffs: string[] = [];
  for (const k of ['pass', 'fail', 'warn', 'info'] as const) {
    if (declared[k] !== counted[k]) diffs.push(`${k} ${declared[k]} declared, ${counted[k]} counted`);
  }
  if (diffs.length) warnings.push(`${where}: declared totals disagree with the checks (${diffs.join('; ')}); using the checks`);
}
