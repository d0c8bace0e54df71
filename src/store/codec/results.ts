/**
 * Schemas of the values the store keeps gzip'd (a node's full result, a scan's node list and rolled-up
 * checks) and of a stored outcome. Each is tied to its type in model/ or types.ts by `satisfies`, so a
 * field added there and not here fails to compile instead of being dropped on read.
 */
import { z } from 'zod';
import { FAIL_REASONS, OUTCOME_KINDS, SKIP_REASONS, type ScannedNode } from '../../model/cluster.js';
import { CHECK_STATUSES, type CheckResult, type NodeFailure, type Totals } from '../../model/result.js';
import type { StoredCheck, StoredClusterScan, StoredNode, StoredOutcome } from '../types.js';

const n = z.number().int().min(0);
export const totalsSchema = z.object({ pass: n, fail: n, warn: n, info: n }) satisfies z.ZodType<Totals>;

const status = z.enum(CHECK_STATUSES);

export const checkResultSchema = z.object({
  id: z.string(),
  benchmark: z.string().nullable(),
  section: z.string().nullable(),
  title: z.string(),
  assessment: z.enum(['Automated', 'Manual', 'Scored', 'Not Scored']).nullable(),
  status,
  scored: z.boolean().nullable(),
  kind: z.enum(['automated', 'manual', 'skip']),
  nodeType: z.string().nullable(),
  expected: z.string().nullable(),
  actual: z.string().nullable(),
  actualTruncated: z.boolean().optional(),
  remediation: z.string().nullable(),
  reason: z.string().nullable(),
}) satisfies z.ZodType<CheckResult>;

export const scannedNodeSchema = z.object({
  name: z.string(),
  pool: z.string().nullable(),
  benchmark: z.string().nullable(),
  totals: totalsSchema,
  checks: z.array(checkResultSchema),
  warnings: z.array(z.string()),
}) satisfies z.ZodType<ScannedNode>;

export const nodeFailureSchema = z.object({
  node: z.string(),
  pool: z.string().nullable(),
  status: z.string(),
  detail: z.string(),
}) satisfies z.ZodType<NodeFailure>;

export const storedNodeSchema = z.object({
  name: z.string(),
  pool: z.string().nullable(),
  benchmark: z.string().nullable(),
  totals: totalsSchema,
  warnings: n,
}) satisfies z.ZodType<StoredNode>;

export const storedCheckSchema = z.object({
  pool: z.string().nullable(),
  id: z.string(),
  benchmark: z.string().nullable(),
  section: z.string().nullable(),
  title: z.string(),
  status,
  counts: totalsSchema,
  failingNodes: z.array(z.string()),
  topic: z.string().nullable(),
  topicTitle: z.string().nullable(),
  disposition: z.string().nullable(),
}) satisfies z.ZodType<StoredCheck>;

export const scanDetailsSchema = z.object({
  cluster: z.object({
    id: z.string(),
    subscriptionId: z.string(),
    resourceGroup: z.string(),
    name: z.string(),
    location: z.string(),
    kubernetesVersion: z.string(),
  }),
  nodeList: z.array(storedNodeSchema),
  nodeFailureList: z.array(nodeFailureSchema),
  checks: z.array(storedCheckSchema),
}) satisfies z.ZodType<Pick<StoredClusterScan, 'cluster' | 'nodeList' | 'nodeFailureList' | 'checks'>>;
export type ScanDetails = z.output<typeof scanDetailsSchema>;

/**
 * The outcome as three properties of a scan header or a fleet entity. The reason must be one of the
 * model's closed unions, so a reason the model adds is stored and read without a change here.
 */
export const outcomeShape = {
  outcome: z.enum(OUTCOME_KINDS),
  reason: z.string().optional(),
  detail: z.string().optional(),
};

const outcomeSchema = z
  .discriminatedUnion('outcome', [
    z.object({ outcome: z.literal('scanned') }),
    z.object({ outcome: z.literal('skipped'), reason: z.enum(SKIP_REASONS), detail: z.string().default('') }),
    z.object({ outcome: z.literal('failed'), reason: z.enum(FAIL_REASONS), detail: z.string().default('') }),
  ])
  .transform((o): StoredOutcome => {
    if (o.outcome === 'scanned') return { kind: 'scanned' };
    if (o.outcome === 'skipped') return { kind: 'skipped', reason: o.reason, detail: o.detail };
    return { kind: 'failed', reason: o.reason, detail: o.detail };
  });
export { outcomeSchema };

export function outcomeProps(o: StoredOutcome): z.input<z.ZodObject<typeof outcomeShape>> {
  return o.kind === 'scanned' ? { outcome: o.kind, reason: '', detail: '' } : { outcome: o.kind, reason: o.reason, detail: o.detail };
}
