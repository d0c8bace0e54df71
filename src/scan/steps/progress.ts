/**
 * A cluster's scan between steps: what the next queue message carries. Small on purpose (a queue
 * message holds 64 KB with the cluster): command ids and times, never command output.
 */
import { z } from 'zod';

const isoTime = z.string().datetime({ offset: true });

/** One run-command in flight: a batch's attempt, by the id ARM gave it. */
export const inFlightSchema = z.object({
  batch: z.number().int().min(0).max(999),
  attempt: z.number().int().min(1).max(9),
  commandId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  postedAt: isoTime,
  /** Nodes (all) or node groups (per-pool) the batch covers: what the learned duration is keyed by. */
  units: z.number().int().min(0).max(10_000),
});
export type InFlight = z.infer<typeof inFlightSchema>;

export const progressSchema = z.object({
  startedAt: isoTime,
  /** The cluster's deadline: a step after it ends the scan as timed out. */
  deadlineAt: isoTime,
  inFlight: z.array(inFlightSchema).max(32),
  /** The next batch to POST; batches below it are in flight or finished. */
  next: z.number().int().min(0).max(999),
  /** Batches whose output is kept in the step records until the last batch finishes. */
  finished: z.array(z.number().int().min(0).max(999)).max(999),
  /** Steps rescheduled after ARM answered 429. */
  backoffs: z.number().int().min(0).max(99),
  /**
   * The step's number in the scan's chain of messages (the first message is 0): the worker records
   * the latest one it sent, and drops a message older than that (a redelivered step whose
   * follow-up already went out), so that one scan never runs two chains of polls.
   */
  seq: z.number().int().min(1).max(100_000).optional(),
});
export type Progress = z.infer<typeof progressSchema>;

/** Learned run time of a command, in ms, by the number of units in its batch (keys are decimal integers). */
export const durationsSchema = z.record(z.string().regex(/^\d{1,5}$/), z.number().int().min(0).max(3_600_000));
export type LearnedDurations = z.infer<typeof durationsSchema>;
