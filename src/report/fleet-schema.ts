/**
 * The fleet summary's shape, as zod schemas: the TypeScript type summariseFleet returns and the
 * JSON Schema the API's OpenAPI document publishes come from this one definition, so they cannot drift.
 */
import { z } from 'zod';

import { OUTCOME_KINDS } from '../model/cluster.js';
import { TRIAGE_KEYS } from '../model/knowledge.js';
import type { TriageKey } from '../model/knowledge.js';
export { TRIAGE_KEYS, YOURS, NOT_YOURS } from '../model/knowledge.js';
export type { TriageKey } from '../model/knowledge.js';
/** "Yours to fix": action, plus environment (it depends on how you run the cluster, so you review it). */

const count = z.int().min(0);
const isoTime = z.iso.datetime({ offset: true });

export const CheckCountsSchema = z.object({ pass: count, fail: count, warn: count, info: count }).strict();

const perDisposition = z.object(Object.fromEntries(TRIAGE_KEYS.map((k) => [k, count])) as Record<TriageKey, typeof count>).strict();

export const TriageSplitSchema = z
  .object({
    basis: z.literal('failing-checks-per-cluster').describe('Each distinct failing check counts once per cluster whose latest results fail it.'),
    yoursToFix: z.object({ total: count, action: count, environment: count }).strict(),
    notYours: z.object({ total: count, platform: count, 'equivalent-control': count, 'check-quirk': count, obsolete: count, unknown: count }).strict(),
    byDisposition: perDisposition,
    /** Clusters with at least one failing check of each disposition. */
    clustersWith: perDisposition,
  })
  .strict();

export const TopFailingSchema = z
  .object({
    topic: z.string(),
    title: z.string(),
    disposition: z.string().nullable(),
    clusters: count,
    /** clusters / clusters with results, 0..1. */
    share: z.number().min(0).max(1),
  })
  .strict();

export const SubscriptionRowSchema = z
  .object({
    subscriptionId: z.string(),
    clusters: count,
    scanned: count,
    skipped: count,
    failed: count,
    stale: count,
    withResults: count,
    checks: CheckCountsSchema,
    yoursToFix: count,
    notYours: count,
    lastScan: isoTime.nullable(),
  })
  .strict();

export const StaleClusterSchema = z
  .object({
    clusterId: z.string(),
    subscriptionId: z.string(),
    resourceGroup: z.string(),
    name: z.string(),
    /** The latest attempt's outcome, and its reason when it was skipped or failed. */
    outcome: z.enum(OUTCOME_KINDS),
    reason: z.string().nullable(),
    lastAttempt: isoTime.describe('When the latest attempt, of any outcome, finished.'),
    lastResults: isoTime.nullable().describe('When the latest scan that produced results finished; null when the cluster was never scanned.'),
    firstAttempt: isoTime.describe('When the earliest known attempt started: what staleness counts from for a cluster never scanned.'),
  })
  .strict();

export const FleetSummarySchema = z
  .object({
    generatedAt: isoTime,
    /** Clusters not scanned for this long are stale (two schedule periods), whatever their skipped or failed attempts since. */
    staleAfterMs: count,
    clusters: z
      .object({
        total: count,
        scanned: count,
        skipped: count,
        failed: count,
        stale: count,
        /** Clusters with results from some scanned attempt (the latest, or an earlier one): the denominator of shares. */
        withResults: count,
      })
      .strict(),
    /** Why the latest attempts were skipped or failed, by reason. */
    reasons: z.object({ skipped: z.record(z.string(), count), failed: z.record(z.string(), count) }).strict(),
    /** Node-check results of the latest results of every cluster, summed (one per check per node). */
    checks: CheckCountsSchema,
    triage: TriageSplitSchema,
    topFailing: z.array(TopFailingSchema),
    subscriptions: z.array(SubscriptionRowSchema),
    /** Latest finish time of any cluster's latest attempt; null when no cluster is known. */
    lastScan: isoTime.nullable(),
    /** The stale clusters, longest unscanned first (lastResults, or firstAttempt when never scanned), at most 100 (clusters.stale has the full count). */
    staleClusters: z.array(StaleClusterSchema),
  })
  .strict();

export type CheckCounts = z.infer<typeof CheckCountsSchema>;
export type TriageSplit = z.infer<typeof TriageSplitSchema>;
export type TopFailing = z.infer<typeof TopFailingSchema>;
export type SubscriptionRow = z.infer<typeof SubscriptionRowSchema>;
export type StaleCluster = z.infer<typeof StaleClusterSchema>;
export type FleetSummary = z.infer<typeof FleetSummarySchema>;
