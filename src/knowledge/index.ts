/**
 * The AKS knowledge base: reviewed data that tells, for each kube-bench check, whether it matters
 * on AKS and who acts on it; plus waivers. The CLI, the API and the scanner use only this module.
 */
import type { CheckResult } from '../model/result.js';
import { DISPOSITIONS as DISPOSITION_LIST } from '../model/knowledge.js';
import type { Disposition, KnowledgeEntry, Triage } from '../model/knowledge.js';
import { knowledgeBase } from './load.js';
import { resolveIn, triageOf } from './resolve.js';

export type { Disposition, KnowledgeEntry, Responsibility, Triage, Waiver, WaiverScopeRule } from '../model/knowledge.js';
export { applyWaivers, defaultWaivers, loadWaiverConfig, loadWaiverFile, parseWaiverConfig, parseWaivers, effectiveWaivers } from './waivers.js';
export type { WaiverConfig, WaiverScope } from './waivers.js';
export { normaliseText } from './normalise.js';

export const DISPOSITIONS: readonly Disposition[] = DISPOSITION_LIST;

export function allEntries(): readonly KnowledgeEntry[] {
  return knowledgeBase().entries;
}

export function entryByTopic(topic: string): KnowledgeEntry | null {
  return knowledgeBase().byTopic.get(topic) ?? null;
}

/** (benchmark,id) first, then normalised text. */
export function resolveEntry(check: Pick<CheckResult, 'id' | 'benchmark' | 'title'>): KnowledgeEntry | null {
  return resolveIn(knowledgeBase(), check);
}

/** The per-check triage shown in explain --format json under "aks". */
export function triageCheck(check: Pick<CheckResult, 'id' | 'benchmark' | 'title'>): Triage | null {
  const entry = resolveEntry(check);
  return entry ? triageOf(entry, check.benchmark) : null;
}

/** How long the first load took, in milliseconds (parse, validate, index). */
export function knowledgeLoadMs(): number {
  return knowledgeBase().loadMs;
}
