/** DiffItem (diff.ts) as data that crosses a boundary: stored on a run for its digest, published by the API. */
import { z } from 'zod';
import { CHECK_STATUSES } from '../model/kube-bench.js';

const status = z.enum(CHECK_STATUSES);

export const diffItemSchema = z.object({
  key: z.string(),
  pool: z.string().nullable(),
  topic: z.string().nullable(),
  benchmark: z.string().nullable(),
  id: z.string(),
  title: z.string(),
  disposition: z.string().nullable(),
  failingNodes: z.array(z.string()),
  before: status.nullable(),
  after: status.nullable(),
});
