/**
 * The API's response bodies as zod schemas. Handlers build values of these inferred types, and the
 * OpenAPI document publishes their JSON Schema (z.toJSONSchema), so code and document agree.
 */
import { z } from 'zod';
import { OUTCOME_KINDS } from '../model/cluster.js';
import { KnowledgeEntrySchema } from '../model/knowledge.js';
import { CHECK_STATUSES } from '../model/result.js';
import { RUN_TRIGGERS } from '../model/run.js';
import { DELIVERY_STATUSES } from '../store/types.js';
import { CheckCountsSchema, FleetSummarySchema } from '../report/fleet-schema.js';

/** Every schema the OpenAPI document names under components.schemas. */
export const apiSchemas = z.registry<{ id: string }>();

const count = z.int().min(0);
const isoTime = z.iso.datetime({ offset: true });
const outcomeKind = z.enum(OUTCOME_KINDS);
const triageCounts = z.record(z.string(), count).describe('Distinct failing checks per disposition (action, platform, ..., unknown).');

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }).strict() })
  .strict()
  .register(apiSchemas, { id: 'Error' });

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string(),
    /** Optional features: "on", or "off: <reason naming the setting>". */
    features: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .register(apiSchemas, { id: 'Health' });

export const SummarySchema = FleetSummarySchema.register(apiSchemas, { id: 'FleetSummary' });

export const ClusterResultsSchema = z
  .object({
    scanId: z.string(),
    finishedAt: isoTime,
    benchmark: z.string().nullable(),
    totals: CheckCountsSchema,
    nodes: count,
    nodeFailures: count,
    pools: z.array(z.string()),
    triage: triageCounts,
    yoursToFix: count,
    failingTopics: z.array(z.string()),
    failingChecks: z.array(z.string()),
    failingTruncated: z.boolean(),
  })
  .strict()
  .register(apiSchemas, { id: 'ClusterResults' });

export const ClusterItemSchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    resourceGroup: z.string(),
    name: z.string(),
    location: z.string(),
    kubernetesVersion: z.string(),
    tags: z.record(z.string(), z.string()),
    outcome: outcomeKind,
    reason: z.string().nullable(),
    detail: z.string().nullable(),
    benchmark: z.string().nullable(),
    scanId: z.string(),
    runId: z.string(),
    startedAt: isoTime,
    finishedAt: isoTime,
    firstAttemptAt: isoTime.describe('Start of the earliest attempt known for the cluster; a cluster never scanned is stale from it.'),
    stale: z
      .boolean()
      .describe('Not scanned for over two schedule periods: counted from results.finishedAt, or from firstAttemptAt when there are no results.'),
    /** Path of the cluster's detail (under /api). */
    href: z.string(),
    results: ClusterResultsSchema.nullable(),
  })
  .strict()
  .register(apiSchemas, { id: 'ClusterItem' });

export const ClusterListSchema = z
  .object({
    items: z.array(ClusterItemSchema),
    total: count,
    top: count,
    skip: count,
    nextPage: z.string().nullable().describe('Pass as ?page= with the same filters for the next page; null on the last page.'),
  })
  .strict()
  .register(apiSchemas, { id: 'ClusterList' });

const outcome = z.union([
  z.object({ kind: z.literal('scanned') }).strict(),
  z.object({ kind: outcomeKind.exclude(['scanned']), reason: z.string(), detail: z.string() }).strict(),
]);

export const ScanHeaderSchema = z
  .object({
    scanId: z.string(),
    runId: z.string(),
    benchmark: z.string().nullable(),
    startedAt: isoTime,
    finishedAt: isoTime,
    outcome,
    totals: CheckCountsSchema,
    nodes: count,
    nodeFailures: count,
    triage: triageCounts,
  })
  .strict()
  .register(apiSchemas, { id: 'ScanHeader' });

export const CheckViewSchema = z
  .object({
    id: z.string(),
    benchmark: z.string().nullable(),
    section: z.string().nullable(),
    title: z.string(),
    status: z.enum(CHECK_STATUSES),
    counts: CheckCountsSchema.describe("How many of the pool's nodes reported each status."),
    failingNodes: z.array(z.string()),
    topic: z.string().nullable(),
    topicTitle: z.string().nullable(),
    disposition: z.string().nullable(),
    whatToDo: z.string().nullable(),
  })
  .strict()
  .register(apiSchemas, { id: 'CheckView' });

export const PoolViewSchema = z
  .object({
    pool: z.string().nullable(),
    nodes: z.array(z.object({ name: z.string(), benchmark: z.string().nullable(), totals: CheckCountsSchema, warnings: count }).strict()),
    totals: CheckCountsSchema,
    triage: triageCounts,
    checks: z.array(CheckViewSchema),
  })
  .strict()
  .register(apiSchemas, { id: 'PoolView' });

export const ClusterRefSchema = z
  .object({ id: z.string(), subscriptionId: z.string(), resourceGroup: z.string(), name: z.string(), location: z.string(), kubernetesVersion: z.string() })
  .strict()
  .register(apiSchemas, { id: 'ClusterRef' });

export const ClusterDetailSchema = z
  .object({
    cluster: ClusterRefSchema,
    /** The scan asked for: the latest attempt, or ?scan=. */
    scan: ScanHeaderSchema,
    /** Per-pool checks: of `scan` when it scanned; of the latest scanned attempt when the latest attempt did not; null when none did. */
    results: z
      .object({
        scanId: z.string(),
        finishedAt: isoTime,
        pools: z.array(PoolViewSchema),
        nodeFailures: z.array(z.object({ node: z.string(), pool: z.string().nullable(), status: z.string(), detail: z.string() }).strict()),
      })
      .strict()
      .nullable(),
  })
  .strict()
  .register(apiSchemas, { id: 'ClusterDetail' });

/** The knowledge base's triage of one check: who acts on it and what to do (a subset of its Triage). */
export const CheckTriageSchema = z
  .object({
    topic: z.string(),
    title: z.string(),
    disposition: z.string(),
    responsibility: z.string(),
    rationale: z.string(),
    why: z.string(),
    mitigation: z.string(),
    verify: z.string(),
    whatToDo: z.string(),
    answers: z.string().nullable(),
    escalatedBy: z.string().nullable().describe("The escalation rule that matched the check's actual value, or null."),
    sources: z.array(z.string()),
  })
  .strict()
  .register(apiSchemas, { id: 'CheckTriage' });

export const NodeCheckSchema = z
  .object({
    id: z.string(),
    benchmark: z.string().nullable(),
    section: z.string().nullable(),
    title: z.string(),
    assessment: z.string().nullable(),
    status: z.enum(CHECK_STATUSES),
    scored: z.boolean().nullable(),
    kind: z.string(),
    nodeType: z.string().nullable(),
    expected: z.string().nullable(),
    actual: z.string().nullable(),
    actualTruncated: z.boolean().optional(),
    remediation: z.string().nullable(),
    reason: z.string().nullable(),
    triage: CheckTriageSchema.nullable().describe('Null when the knowledge base does not know the check.'),
  })
  .strict()
  .register(apiSchemas, { id: 'NodeCheck' });

export const NodeResultSchema = z
  .object({
    cluster: z.object({ id: z.string(), subscriptionId: z.string(), resourceGroup: z.string(), name: z.string() }).strict(),
    scanId: z.string(),
    node: z
      .object({
        name: z.string(),
        pool: z.string().nullable(),
        benchmark: z.string().nullable(),
        totals: CheckCountsSchema,
        warnings: z.array(z.string()),
        checks: z.array(NodeCheckSchema).describe('One page of the checks, in stored order.'),
      })
      .strict(),
    page: z
      .object({
        skip: count,
        top: count,
        total: count.describe('Checks of the node in all pages.'),
        nextSkip: count.nullable().describe('Pass as ?skip= (with the same top) for the next page; null on the last page.'),
      })
      .strict(),
  })
  .strict()
  .register(apiSchemas, { id: 'NodeResult' });

export const HistorySchema = z
  .object({
    cluster: z.object({ id: z.string(), subscriptionId: z.string(), resourceGroup: z.string(), name: z.string() }).strict(),
    items: z.array(ScanHeaderSchema).describe('Newest first.'),
  })
  .strict()
  .register(apiSchemas, { id: 'History' });

export const KnowledgeEntryOutSchema = KnowledgeEntrySchema.register(apiSchemas, { id: 'KnowledgeEntry' });

export const CheckFailingSchema = z
  .object({
    query: z.object({ topic: z.string().nullable(), checkId: z.string().nullable(), benchmark: z.string().nullable() }).strict(),
    entry: KnowledgeEntryOutSchema.nullable(),
    /** The entry's disposition for the asked benchmark (entries override it per benchmark). */
    disposition: z.string().nullable(),
    clusters: z.array(ClusterItemSchema).describe('One page of the failing clusters, ordered by subscription, resource group and name.'),
    failingPools: z
      .record(z.string(), z.array(z.string()))
      .nullable()
      .describe(
        'For a topic: per cluster id of this page, the node pools where the topic fails ("" for nodes of no known pool); a cluster\'s other pools pass. Null for a check id. CSV: the failingPools column.',
      ),
    total: count,
    top: count,
    skip: count,
    nextPage: z.string().nullable().describe('Pass as ?page= with the same path and filters for the next page; null on the last page.'),
  })
  .strict()
  .register(apiSchemas, { id: 'CheckFailing' });

export const RunSchema = z
  .object({
    runId: z.string(),
    trigger: z.enum(RUN_TRIGGERS),
    startedAt: isoTime,
    queued: count,
    done: count,
    scanned: count,
    skipped: count,
    failed: count,
    pending: count,
    complete: z.boolean(),
    lastReportAt: isoTime.nullable(),
    alerts: z
      .array(
        z
          .object({
            channel: z.string().describe('The alert route\'s name, or "default" for TEAMS_WEBHOOK_URL; never the URL.'),
            status: z.enum(DELIVERY_STATUSES).describe('failed: retried by the housekeeping timer at nextAttemptAt, for up to 24 hours; gave-up after that.'),
            attempts: count,
            httpStatus: z.number().int().nullable(),
            detail: z.string(),
            firstAttemptAt: isoTime.nullable(),
            lastAttemptAt: isoTime.nullable(),
            nextAttemptAt: isoTime.nullable(),
            bytes: count,
            clusters: count,
            newFails: count,
            fixed: count,
          })
          .strict(),
      )
      .describe("The run's Teams digests, one per channel, once the run completed or passed its deadline."),
  })
  .strict()
  .register(apiSchemas, { id: 'Run' });

export const RunListSchema = z
  .object({ items: z.array(RunSchema).describe('Newest first.') })
  .strict()
  .register(apiSchemas, { id: 'RunList' });

export const ScanRequestSchema = z
  .object({ clusters: z.array(z.string().min(1).max(1024)).min(1).max(10_000).optional() })
  .strict()
  .register(apiSchemas, { id: 'ScanRequest' });

export const ScanAcceptedSchema = z
  .object({
    runId: z.string(),
    queued: count,
    status: z.string(),
    missing: z.array(z.string()).describe('Requested cluster ids that were not found (deleted, or not visible to the scanner); not queued.'),
  })
  .strict()
  .register(apiSchemas, { id: 'ScanAccepted' });

export type ClusterItem = z.infer<typeof ClusterItemSchema>;
export type ClusterList = z.infer<typeof ClusterListSchema>;
export type ClusterDetail = z.infer<typeof ClusterDetailSchema>;
export type ScanHeader = z.infer<typeof ScanHeaderSchema>;
export type PoolView = z.infer<typeof PoolViewSchema>;
export type CheckView = z.infer<typeof CheckViewSchema>;
export type History = z.infer<typeof HistorySchema>;
export type NodeResult = z.infer<typeof NodeResultSchema>;
export type CheckTriage = z.infer<typeof CheckTriageSchema>;
export type CheckFailing = z.infer<typeof CheckFailingSchema>;
export type RunList = z.infer<typeof RunListSchema>;
export type ScanAccepted = z.infer<typeof ScanAcceptedSchema>;
