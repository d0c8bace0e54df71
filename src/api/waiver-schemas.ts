/** The waiver routes' bodies, registered for the OpenAPI document. */
import { z } from 'zod';
import { WaiverInputSchema } from '../model/knowledge.js';
import { apiSchemas } from './schemas.js';

const scope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('subscription'), subscriptionId: z.string() }).strict(),
  z.object({ kind: z.literal('cluster'), clusterId: z.string() }).strict(),
  z.object({ kind: z.literal('pool'), clusterId: z.string(), pool: z.string() }).strict(),
]);

const waiverShape = {
  id: z.string(),
  topic: z.string().nullable(),
  checkId: z.string().nullable(),
  benchmark: z.string().nullable(),
  scope,
  reason: z.string(),
  owner: z.string(),
  expires: z.iso.date().describe('Last day the waiver holds (UTC), YYYY-MM-DD.'),
};

/** src/model/knowledge.ts's Waiver with its source; table waivers add their last change. */
export const WaiverOutSchema = z
  .object({
    ...waiverShape,
    source: z.enum(['default', 'file', 'table']),
    updatedAt: z.iso.datetime({ offset: true }).optional().describe('Table waivers: when it was last PUT.'),
    updatedBy: z.string().optional().describe('Table waivers: the Entra ID principal that last PUT it, or "admin key".'),
  })
  .strict()
  .register(apiSchemas, { id: 'Waiver' });

export const WaiverListSchema = z
  .object({
    waivers: z.array(WaiverOutSchema).describe('Table waivers, then the file’s, then the shipped defaults: the first that applies to a check is the one used.'),
  })
  .strict()
  .register(apiSchemas, { id: 'WaiverList' });

export const WaiverPutResultSchema = z.object({ waiver: WaiverOutSchema, created: z.boolean() }).strict().register(apiSchemas, { id: 'WaiverPutResult' });

export const WaiverDeletedSchema = z.object({ deleted: WaiverOutSchema }).strict().register(apiSchemas, { id: 'WaiverDeleted' });

const recorded = z.object({ ...waiverShape, source: z.enum(['default', 'file', 'table']) }).strict();

export const WaiverHistorySchema = z
  .object({
    id: z.string(),
    changes: z
      .array(
        z
          .object({
            at: z.iso.datetime({ offset: true }),
            by: z.string().describe('The Entra ID principal (App Service Authentication), or "admin key".'),
            action: z.enum(['put', 'delete']),
            before: recorded.nullable(),
            after: recorded.nullable(),
          })
          .strict(),
      )
      .describe('Oldest first.'),
  })
  .strict()
  .register(apiSchemas, { id: 'WaiverHistory' });

/** A PUT body is a waiver as a waiver file writes it: the one schema of src/model/knowledge.ts. */
export const WaiverBodySchema = WaiverInputSchema.register(apiSchemas, { id: 'WaiverBody' });

export type WaiverOut = z.infer<typeof WaiverOutSchema>;
