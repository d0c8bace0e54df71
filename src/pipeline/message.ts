/**
 * The queue message from the timer to the worker: one per cluster. It carries the cluster as
 * listed, so the worker needs no extra ARM read (a cluster deleted since listing answers 404 at
 * runCommand, which is reported as not-found). Without `step` it starts the cluster's scan; the
 * worker sends the follow-up messages itself, each with the scan's progress in `step`.
 */
import { stringRecord } from '../model/records.js';
import { z } from 'zod';
import type { ClusterRef } from '../model/cluster.js';
import { InputError } from '../model/errors.js';
import { CLUSTER_ID } from '../model/ids.js';
import type { LearnedDurations } from '../scan/steps/progress.js';
import { durationsSchema, progressSchema } from '../scan/steps/progress.js';

const pool = z.object({
  name: z.string().min(1),
  osType: z.enum(['Linux', 'Windows']),
  mode: z.enum(['System', 'User', 'Gateway']),
  count: z.number().int().min(0),
  nodeImageVersion: z.string().nullable(),
  orchestratorVersion: z.string().nullable(),
});

const clusterRef = z.object({
  id: z.string().regex(CLUSTER_ID),
  subscriptionId: z.string().min(1),
  resourceGroup: z.string().min(1),
  name: z.string().min(1),
  location: z.string(),
  kubernetesVersion: z.string(),
  pools: z.array(pool),
  aadManaged: z.boolean(),
  azureRbac: z.boolean(),
  private: z.boolean(),
  powerState: z.string(),
  provisioningState: z.string(),
  runCommandDisabled: z.boolean(),
  nodeAutoProvisioning: z.boolean().optional(),
  tags: stringRecord,
}) satisfies z.ZodType<ClusterRef>;

export const scanMessageSchema = z.object({
  v: z.literal(1),
  runId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  scanId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  cluster: clusterRef,
  /** The fleet's learned command durations (ms by units per batch), from the timer. */
  durations: durationsSchema.optional(),
  /**
   * When the planner made the first message visible (its pacing delay included): the cluster's
   * deadline counts from here, so a first message delivered again cannot move it later. Absent in
   * messages from before it was added, whose deadline counts from their first step.
   */
  plannedStart: z.iso.datetime().optional(),
  /**
   * Set by the planner: how long after its POST the first result poll should come, from the
   * subscription's schedule (pacing.ts); the first step waits for this or the expected run time,
   * whichever is later. Follow-ups carry it along unread, as they carry `plannedStart`.
   */
  firstPollAfterMs: z.number().int().min(0).max(3_600_000).optional(),
  /** Set on follow-up messages: the commands in flight and when the scan must end. */
  step: progressSchema.optional(),
  /** The cluster's tags did not fit a follow-up message: `cluster.tags` is empty here, the whole cluster is in the step records. */
  clusterStored: z.literal(true).optional(),
});

export type ScanMessage = z.infer<typeof scanMessageSchema>;

export const clusterRefSchema = clusterRef;

export function scanMessage(runId: string, scanId: string, cluster: ClusterRef, durations?: LearnedDurations): ScanMessage {
  return { v: 1, runId, scanId, cluster, ...(durations && Object.keys(durations).length ? { durations } : {}) };
}

/** Accepts the message as the Functions runtime hands it over: parsed JSON, a JSON string, or base64 of JSON. */
export function parseScanMessage(raw: unknown, input = 'queue message'): ScanMessage {
  let value = raw;
  if (typeof value === 'string') {
    const text = value.trim().startsWith('{') ? value : Buffer.from(value, 'base64').toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      throw new InputError(input, 'is not JSON');
    }
  }
  const r = scanMessageSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(input, `is not a scan message: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`);
  }
  return r.data;
}
