/**
 * Waivers: an operator's reviewed decision that a check does not count, for a scope and until a
 * date. Waiver files are YAML or JSON; the shipped defaults come from the knowledge entries whose
 * disposition is platform or check-quirk, each citing its entry, and can be turned off.
 */
import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { InputError, errorLine } from '../model/errors.js';
import { WaiverFileObjectSchema, WaiverListSchema } from '../model/knowledge.js';
import type { Waiver, WaiverFileEntry, WaiverInput, WaiverScopeRule } from '../model/knowledge.js';
import { knowledgeBase } from './load.js';
import { resolveIn, triageOf } from './resolve.js';
import type { CheckRef } from './resolve.js';
import { normaliseBenchmark } from './normalise.js';

export interface WaiverScope {
  subscriptionId?: string;
  clusterId?: string;
  pool?: string;
}

/** What a verdict depends on beyond the check itself. */
export interface TriageContext {
  /** The node's Kubernetes version (the pool's orchestrator version in a scan); null or absent when unknown. */
  kubernetesVersion?: string | null;
}

export interface WaiverConfig {
  waivers: Waiver[];
  /** false: the file turned every default waiver off. */
  useDefaults: boolean;
  /** Topics whose default waiver the file turned off. */
  disabledDefaults: string[];
}

export function loadWaiverFile(path: string): Waiver[] {
  return loadWaiverConfig(path).waivers;
}

export function loadWaiverConfig(path: string): WaiverConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, code === 'ENOENT' ? 'no such waiver file' : `cannot read the waiver file (${code ?? 'error'})`);
  }
  return parseWaiverConfig(text, path);
}

export function parseWaivers(text: string, inputName: string): Waiver[] {
  return parseWaiverConfig(text, inputName).waivers;
}

export function parseWaiverConfig(text: string, inputName: string): WaiverConfig {
  let raw: unknown;
  try {
    // The core schema reads JSON documents too, so one parser takes both forms, and it leaves
    // `expires: 2027-01-31` a string instead of turning it into a Date.
    raw = loadYaml(text, { schema: CORE_SCHEMA, filename: inputName });
  } catch (e) {
    const why = errorLine(e);
    throw new InputError(inputName, `is neither valid YAML nor JSON (${why})`);
  }
  if (raw === null || raw === undefined) throw new InputError(inputName, 'is empty: expected a list of waivers or an object with "waivers"');
  // A list of waivers, or an object with `waivers` and the default switches: checked apart so an
  // error names the field rather than "matches neither form".
  const parsed = Array.isArray(raw) ? WaiverListSchema.safeParse(raw) : WaiverFileObjectSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? describePath(raw, issue.path) : '';
    throw new InputError(inputName, `${path ? `${path}: ` : ''}${issue?.message ?? 'invalid waiver file'}`);
  }
  const file = parsed.data;
  const inputs = Array.isArray(file) ? file : file.waivers;
  const kb = knowledgeBase();
  const waivers = inputs.map((w, i) => waiverFromInput(w, inputName, `waivers[${i}]`, w.id ?? `${inputName}#${i + 1}`, 'file'));
  const disabled = Array.isArray(file) ? [] : file.disableDefaults;
  disabled.forEach((t, i) => {
    if (!kb.byTopic.has(t)) throw new InputError(inputName, `disableDefaults[${i}]: "${t}" is not a topic of the knowledge base`);
  });
  return { waivers, useDefaults: Array.isArray(file) ? true : file.defaults, disabledDefaults: disabled };
}

/**
 * One waiver of a file, a table or a request body, checked against the knowledge base: its topic,
 * benchmark and check id must exist. `field` names it in errors (e.g. "waivers[2]", "body").
 */
export function waiverFromInput(w: WaiverInput, inputName: string, field: string, id: string, source: Waiver['source']): Waiver {
  const kb = knowledgeBase();
  const known = knownChecks();
  if (w.topic !== undefined && !kb.byTopic.has(w.topic)) {
    throw new InputError(inputName, `${field}.topic: "${w.topic}" is not a topic of the knowledge base`);
  }
  const bench = normaliseBenchmark(w.benchmark);
  if (bench !== null && !known.benchmarks.has(bench)) {
    throw new InputError(
      inputName,
      `${field}.benchmark: "${w.benchmark ?? ''}" is not a benchmark of the knowledge base (${[...known.benchmarks].sort().join(', ')})`,
    );
  }
  if (w.check !== undefined) {
    const id = w.check.trim();
    const ok = bench === null ? known.ids.has(id) : kb.byId.has(`${bench}|${id}`);
    if (!ok) {
      throw new InputError(inputName, `${field}.check: "${w.check}" is not a check id of ${bench === null ? 'any benchmark' : bench} in the knowledge base`);
    }
  }
  return fromInput(w, id, source);
}

/** The file form of a waiver (what a waiver file holds and `waivers export` writes): the inverse of waiverFromInput. */
export function waiverToInput(w: Waiver): WaiverFileEntry {
  const scope: WaiverFileEntry['scope'] =
    w.scope.kind === 'all'
      ? 'all'
      : w.scope.kind === 'subscription'
        ? w.scope.subscriptionId
        : w.scope.kind === 'cluster'
          ? w.scope.clusterId
          : { cluster: w.scope.clusterId, pool: w.scope.pool };
  return {
    id: w.id,
    ...(w.topic !== null ? { topic: w.topic } : {}),
    ...(w.checkId !== null ? { check: w.checkId } : {}),
    ...(w.benchmark !== null ? { benchmark: w.benchmark } : {}),
    scope,
    reason: w.reason,
    owner: w.owner,
    expires: w.expires,
  };
}

/**
 * Benchmarks some entry names, and every check id of any benchmark or legacy edition (the seed's text
 * output carries legacy ids such as 2.1.5, which a waiver without a benchmark may name).
 */
let knownCache: { kb: object; benchmarks: ReadonlySet<string>; ids: ReadonlySet<string> } | undefined;

function knownChecks(): { benchmarks: ReadonlySet<string>; ids: ReadonlySet<string> } {
  const kb = knowledgeBase();
  if (knownCache?.kb === kb) return knownCache;
  const ids = new Set<string>();
  for (const key of kb.byId.keys()) ids.add(key.slice(key.indexOf('|') + 1));
  for (const e of kb.entries) for (const l of e.legacy) ids.add(l.id);
  knownCache = { kb, benchmarks: new Set(kb.sections.keys()), ids };
  return knownCache;
}

/** Names the bad field as a path a person can find in the file, e.g. waivers[2].expires. */
function describePath(raw: unknown, path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  if (Array.isArray(raw) && out.startsWith('[')) out = `waivers${out}`;
  return out;
}

/** A waiver from its already validated input, without the knowledge-base checks (a stored waiver stays readable after a knowledge-base release). */
export function fromInput(w: WaiverInput, id: string, source: Waiver['source']): Waiver {
  return {
    id,
    topic: w.topic ?? null,
    checkId: w.check ?? null,
    benchmark: normaliseBenchmark(w.benchmark),
    scope: w.scope,
    reason: w.reason,
    owner: w.owner,
    expires: w.expires,
    source,
  };
}

const WAIVABLE: ReadonlySet<string> = new Set(['platform', 'check-quirk']);

/** One waiver per platform or check-quirk entry, scope all, expiring when the data is due for review. */
export function defaultWaivers(): Waiver[] {
  const kb = knowledgeBase();
  return kb.entries
    .filter((e) => WAIVABLE.has(e.disposition))
    .map((e) => ({
      id: `default:${e.topic}`,
      topic: e.topic,
      checkId: null,
      benchmark: null,
      scope: { kind: 'all' } as const,
      reason: `${e.disposition === 'platform' ? 'Managed by AKS' : 'kube-bench check quirk on AKS'}: ${e.whatToDo} (knowledge entry ${e.topic})`,
      owner: 'aks-fleet-scanner knowledge base',
      expires: kb.meta.defaultWaiversExpire,
      source: 'default' as const,
    }));
}

/** The file's waivers first (an operator's decision wins), then the defaults it left on. */
export function effectiveWaivers(config: WaiverConfig | null, useDefaults = true): Waiver[] {
  const own = config?.waivers ?? [];
  if (!useDefaults || config?.useDefaults === false) return own;
  const off = new Set(config?.disabledDefaults ?? []);
  return [...own, ...defaultWaivers().filter((w) => !off.has(w.topic ?? ''))];
}

function sameId(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function subscriptionOfCluster(clusterId: string): string | null {
  const m = /^\/subscriptions\/([^/]+)\//i.exec(clusterId);
  return m?.[1] ?? null;
}

/** Whether a waiver holds for a check of exactly this cluster (and pool, when given). */
export function scopeApplies(rule: WaiverScopeRule, scope: WaiverScope): boolean {
  switch (rule.kind) {
    case 'all':
      return true;
    case 'subscription': {
      const sub = scope.subscriptionId ?? (scope.clusterId ? subscriptionOfCluster(scope.clusterId) : null);
      return sub !== null && sameId(sub, rule.subscriptionId);
    }
    case 'cluster':
      return scope.clusterId !== undefined && sameId(scope.clusterId, rule.clusterId);
    case 'pool':
      return scope.clusterId !== undefined && sameId(scope.clusterId, rule.clusterId) && scope.pool !== undefined && scope.pool === rule.pool;
  }
}

/** A waiver holds through the whole of its expiry day, in UTC. */
export function isExpired(w: Pick<Waiver, 'expires'>, now: Date): boolean {
  const end = Date.parse(`${w.expires}T00:00:00Z`) + 24 * 3600 * 1000;
  return now.getTime() >= end;
}

/**
 * For each check: the first waiver that applies (if any). `expired` lists the waivers that would
 * have applied to at least one of these checks in this scope but have passed their date, so the
 * report can say which decisions are due for review.
 */
export function applyWaivers(
  checks: readonly CheckRef[],
  waivers: readonly Waiver[],
  scope: WaiverScope,
  now: Date,
  context: TriageContext = {},
): { waivedBy: (Waiver | null)[]; expired: Waiver[] } {
  const kb = knowledgeBase();
  const inScope = waivers.filter((w) => scopeApplies(w.scope, scope));
  const expired = new Set<Waiver>();
  const waivedBy = checks.map((check) => {
    const entry = resolveIn(kb, check);
    const topic = entry?.topic ?? null;
    const bench = normaliseBenchmark(check.benchmark);
    // A default waiver stands for "AKS manages this / the check misfires": it must not hide a check
    // whose benchmark override makes it the customer's (e.g. an explicit false on cis-1.x), nor one
    // whose actual value shows a real failure (e.g. --read-only-port=10255), nor one on a Kubernetes
    // version where AKS did not yet set the value (the FAIL is real there: upgrade).
    const defaultable = entry !== null && WAIVABLE.has(triageOf(entry, check.benchmark, check.actual, context.kubernetesVersion).disposition);
    for (const w of inScope) {
      const matches =
        (w.topic !== null && w.topic === topic) || (w.checkId !== null && w.checkId === check.id.trim() && (w.benchmark === null || w.benchmark === bench));
      if (!matches || (w.source === 'default' && !defaultable)) continue;
      if (isExpired(w, now)) {
        expired.add(w);
        continue;
      }
      return w;
    }
    return null;
  });
  return { waivedBy, expired: [...expired] };
}

/**
 * Whether a waiver concerns something inside this scope: unlike scopeApplies (does the waiver hold for
 * a check of exactly this cluster/pool), a wider scope takes in the narrower waivers under it, so a
 * fleet report (scope {}) sees every waiver and a cluster's report sees its pools' waivers.
 */
function withinScope(rule: WaiverScopeRule, scope: WaiverScope): boolean {
  const scopeSub = scope.subscriptionId ?? (scope.clusterId ? subscriptionOfCluster(scope.clusterId) : null);
  switch (rule.kind) {
    case 'all':
      return true;
    case 'subscription':
      return scopeSub === null || sameId(scopeSub, rule.subscriptionId);
    case 'cluster':
    case 'pool': {
      if (scope.clusterId !== undefined && !sameId(scope.clusterId, rule.clusterId)) return false;
      const sub = subscriptionOfCluster(rule.clusterId);
      if (scope.clusterId === undefined && scopeSub !== null && (sub === null || !sameId(sub, scopeSub))) return false;
      return rule.kind === 'cluster' || scope.pool === undefined || scope.pool === rule.pool;
    }
  }
}

/**
 * Every expired waiver within this scope, whether or not a check it names is in the output.
 * applyWaivers' `expired` only lists waivers that would have matched one of its checks, so a waiver
 * for a topic that no longer fails (or was not scanned) would otherwise never be reported as due for
 * review; reports list these instead. Scope {} means the whole fleet.
 */
export function expiredWaivers(waivers: readonly Waiver[], scope: WaiverScope, now: Date): Waiver[] {
  return waivers.filter((w) => withinScope(w.scope, scope) && isExpired(w, now));
}
