/**
 * The AKS knowledge base: reviewed data that tells, for each kube-bench check, whether it matters
 * on AKS and who acts on it; plus waivers. The CLI, the API and the scanner use only this module.
 */
import { DISPOSITIONS as DISPOSITION_LIST } from '../model/knowledge.js';
import type { Disposition, KnowledgeEntry, Triage } from '../model/knowledge.js';
import { knowledgeBase } from './load.js';
import { resolveIn, triageOf } from './resolve.js';
import type { CheckRef } from './resolve.js';
import type { TriageContext } from './waivers.js';

export type {
  Disposition,
  Escalation,
  KnowledgeEntry,
  Responsibility,
  Triage,
  Waiver,
  WaiverScopeRule,
  TableWaiver,
  WaiverChange,
  WaiverFileEntry,
} from '../model/knowledge.js';
export type { CheckRef } from './resolve.js';
export {
  applyWaivers,
  expiredWaivers,
  defaultWaivers,
  loadWaiverConfig,
  loadWaiverFile,
  parseWaiverConfig,
  parseWaivers,
  effectiveWaivers,
  waiverFromInput,
  waiverToInput,
  isExpired,
  scopeApplies,
} from './waivers.js';
export type { TriageContext, WaiverConfig, WaiverScope } from './waivers.js';
export { compareKubeVersions, minorOf, parseKubeVersion } from './version.js';
export { normaliseText } from './normalise.js';
export { legacyFinding } from './legacy.js';
export type { LegacyFinding } from './legacy.js';

export const DISPOSITIONS: readonly Disposition[] = DISPOSITION_LIST;

export function allEntries(): readonly KnowledgeEntry[] {
  return knowledgeBase().entries;
}

export function entryByTopic(topic: string): KnowledgeEntry | null {
  return knowledgeBase().byTopic.get(topic) ?? null;
}

/** (benchmark,id) first, then normalised text (limited to the areas of a known nodeType when the benchmark is unknown). */
export function resolveEntry(check: CheckRef): KnowledgeEntry | null {
  return resolveIn(knowledgeBase(), check);
}

/**
 * The per-check triage shown in explain --format json under "aks". Pass `actual` when kube-bench
 * reported it: a value that shows a real failure (e.g. --read-only-port=10255) turns a platform or
 * check-quirk topic into `action`. Pass the node's Kubernetes version when known: on a version where
 * AKS did not yet set the value, a FAIL is the customer's (upgrade), not "managed by AKS".
 */
export function triageCheck(check: CheckRef, context: TriageContext = {}): Triage | null {
  const entry = resolveEntry(check);
  return entry ? triageOf(entry, check.benchmark, check.actual, context.kubernetesVersion, check.id) : null;
}

/** How long the first load took, in milliseconds (parse, validate, index). */
export function knowledgeLoadMs(): number {
  return knowledgeBase().loadMs;
}
