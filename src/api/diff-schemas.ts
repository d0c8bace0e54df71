/** The diff route's answer (GET /clusters/{sub}/{rg}/{name}/diff), registered for the OpenAPI document. */
import { z } from 'zod';
import { OUTCOME_KINDS } from '../model/cluster.js';
import { CHECK_STATUSES } from '../model/result.js';
import { apiSchemas } from './schemas.js';
import { diffItemSchema } from '../diff/schema.js';

const status = z.enum(CHECK_STATUSES);
const outcomeKind = z.enum(OUTCOME_KINDS);

/** src/diff's DiffItem as the API publishes it; clusterDiff assigns DiffItems to it, so the type check keeps the two in step. */
export const DiffItemSchema = diffItemSchema
  .extend({
    key: z.string().describe('Stable across scans: pool|topic, or pool|benchmark:id when the knowledge base does not know the check; a null pool is "-".'),
    failingNodes: z.array(z.string()).describe("Nodes that FAILed: the `to` scan's for new and still-failing items, the `from` scan's for fixed ones."),
    before: status.nullable().describe('Status in the `from` scan; null when absent.'),
    after: status.nullable().describe('Status in the `to` scan; null when no longer reported.'),
  })
  .strict()
  .register(apiSchemas, { id: 'DiffItem' });

export const DiffScanRefSchema = z
  .object({ scanId: z.string(), startedAt: z.iso.datetime({ offset: true }), outcome: outcomeKind })
  .strict()
  .register(apiSchemas, { id: 'DiffScanRef' });

const items = z.array(DiffItemSchema);

export const ClusterDiffSchema = z
  .object({
    clusterId: z.string(),
    from: DiffScanRefSchema.nullable().describe('null: the cluster has no scan before `to`.'),
    to: DiffScanRefSchema,
    baseline: z.boolean().describe('False when `from` is missing or did not scan: every FAIL of `to` is then in newFailures.'),
    newFailures: items,
    fixed: items.describe('FAIL before, anything else now; after null: no longer reported while its benchmark still is.'),
    stillFailing: items,
    newWarnings: items.describe('WARN now, neither WARN nor FAIL before.'),
    coverageAdded: items.describe('Checks of a benchmark only the `to` scan ran (a benchmark upgrade): not new FAILs.'),
    coverageRemoved: items.describe('Checks of a benchmark only the `from` scan ran.'),
    outcomeChange: z.object({ before: outcomeKind.nullable(), after: outcomeKind }).strict().nullable().describe('null when both scans have the same outcome.'),
  })
  .strict()
  .register(apiSchemas, { id: 'ClusterDiff' });

export type ClusterDiff = z.infer<typeof ClusterDiffSchema>;
export type DiffScanRef = z.infer<typeof DiffScanRefSchema>;
