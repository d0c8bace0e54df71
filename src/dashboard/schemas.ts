/**
 * The dashboard's own data routes: /fleet/matrix (the heatmap) and /fleet/trend (scans over time
 * and what changed). Zod schemas, so the handlers, the OpenAPI document and the tests agree.
 */
import { z } from 'zod';
import { OUTCOME_KINDS } from '../model/cluster.js';
import { RUN_TRIGGERS } from '../model/run.js';
import { apiSchemas } from '../api/schemas.js';

const count = z.int().min(0);
const isoTime = z.iso.datetime({ offset: true });

/**
 * One heatmap cell: "pass" (scanned, topic not failing), "none" (no results), "waived" (failing,
 * every failing check of the topic waived for this cluster), or the failing topic's disposition.
 */
export const MATRIX_CELLS = [
  'pass',
  'none',
  'waived',
  'action',
  'environment',
  'platform',
  'equivalent-control',
  'check-quirk',
  'obsolete',
  'unknown',
] as const;
export type MatrixCell = (typeof MATRIX_CELLS)[number];

export const MatrixRowSchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    resourceGroup: z.string(),
    name: z.string(),
    kubernetesVersion: z.string(),
    tags: z.record(z.string(), z.string()),
    outcome: z.enum(OUTCOME_KINDS),
    reason: z.string().nullable(),
    stale: z.boolean(),
    fail: count.describe('FAIL results of the latest results (every node); 0 without results.'),
    yoursToFix: count,
    /** One per entry of topics, in that order. */
    cells: z.array(z.enum(MATRIX_CELLS)),
    pools: z
      .array(z.object({ pool: z.string(), cells: z.array(z.enum(MATRIX_CELLS)) }).strict())
      .describe(
        'The pools a pool-scoped waiver in force names, each with its own cells ("pass" where the topic does not fail in that pool); empty for other clusters. The cluster\'s cell is "waived" when every pool failing the topic is waived.',
      ),
  })
  .strict();

export const MatrixSchema = z
  .object({
    generatedAt: isoTime,
    topics: z.array(z.object({ topic: z.string(), title: z.string(), disposition: z.string(), clusters: count }).strict()),
    total: count,
    rows: z.array(MatrixRowSchema),
  })
  .strict()
  .register(apiSchemas, { id: 'FleetMatrix' });

export const TrendPointSchema = z
  .object({
    runId: z.string(),
    trigger: z.enum(RUN_TRIGGERS),
    startedAt: isoTime,
    scanned: count.describe('Clusters of the filtered fleet scanned in this run.'),
    fail: count.describe('FAIL results summed over those clusters.'),
    yoursToFix: count.describe('Distinct failing checks of disposition action or environment, summed over those clusters.'),
  })
  .strict();

export const ChangeSchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    resourceGroup: z.string(),
    name: z.string(),
    fromScanId: z.string(),
    toScanId: z.string(),
    failBefore: count,
    failAfter: count,
    yoursBefore: count,
    yoursAfter: count,
  })
  .strict();

export const TrendSchema = z
  .object({
    generatedAt: isoTime,
    /** Oldest first. */
    points: z.array(TrendPointSchema),
    /** Each cluster's latest scan against its previous one in the window, where the FAIL or yours-to-fix count moved. */
    changes: z
      .object({
        worse: z.array(ChangeSchema).describe('More FAIL or yours-to-fix than at the previous scan.'),
        better: z.array(ChangeSchema).describe('Fewer FAIL and no more yours-to-fix than at the previous scan.'),
        truncated: z.boolean().describe('True when the scan window held more scans than one answer reads.'),
      })
      .strict(),
  })
  .strict()
  .register(apiSchemas, { id: 'FleetTrend' });

export type Matrix = z.infer<typeof MatrixSchema>;
export type MatrixRow = z.infer<typeof MatrixRowSchema>;
export type Trend = z.infer<typeof TrendSchema>;
export type TrendPoint = z.infer<typeof TrendPointSchema>;
export type Change = z.infer<typeof ChangeSchema>;
