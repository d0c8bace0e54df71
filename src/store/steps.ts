/**
 * The scan steps' records (src/scan/steps/records.ts) in the Runs table, and the fleet's learned
 * command durations.
 *
 * | PartitionKey  | RowKey                  | holds |
 * |---------------|-------------------------|-------|
 * | `k~`run       | scan`~b~`batch          | the latest command of a batch: attempt, command id, posted at, units, duration once done |
 * | `k~`run       | scan`~o~`batch          | a batch's output (gzip'd chunks) while other batches of the scan still run |
 * | `k~`run       | scan`~s`                | the latest step message sent for the scan: its number and queue message id; `done` once the scan is stored |
 * | `learned`     | `latest`                | the run the durations were last learned for, and the durations (ms by unit count) |
 *
 * One partition per run, so pruneHistory removes a run's records with the run, and the timer reads
 * the last run's durations with one partition query ($select of two small columns).
 */
import type { TableClient } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { CommandRecord, StepKey, StepRecords } from '../scan/steps/records.js';
import type { InFlight, LearnedDurations } from '../scan/steps/progress.js';
import { durationsSchema } from '../scan/steps/progress.js';
import { learnDurations } from '../scan/steps/durations.js';
import type { CommandResult } from '../scan/run-command.js';
import type { ClusterRef } from '../model/cluster.js';
import { chunkProps, CHUNKS_PER_ENTITY, pack, readChunks, unpack } from './blob.js';
import { count, decode, jsonText, text, type Entity } from './codec/values.js';
import { toStoreError } from './errors.js';
import { joinKey, prefixRange, runKey, scanKey } from './keys.js';

export const LEARNED_PARTITION = 'learned';
const LEARNED_ROW = 'latest';

export function stepsPartition(runId: string): string {
  return joinKey(`run id ${runId}`, 'k', runKey(runId));
}

function stepRow(scanId: string): string {
  return joinKey(`scan id ${scanId}`, scanKey(scanId), 's');
}

function clusterRow(scanId: string): string {
  return joinKey(`scan id ${scanId}`, scanKey(scanId), 'c');
}

function batchRow(scanId: string, kind: 'b' | 'o', batch: number): string {
  return joinKey(`scan id ${scanId}`, scanKey(scanId), kind, batch.toString().padStart(3, '0'));
}

const commandSchema = z.object({
  batch: count,
  attempt: count,
  commandId: text,
  postedAt: text,
  units: count,
  durationMs: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
});

const stepSchema = z.object({ seq: count, messageId: z.string().optional(), done: z.boolean().optional() });

/** The latest step message sent for a scan (pipeline.ts drops an older or duplicated one). */
export interface SentStep {
  seq: number;
  messageId?: string;
  /** The scan's last step stored it: every step of the scan is dropped from now on. */
  done?: true;
}

/** A recorded step as read, with the version (ETag) a conditional write of the next one needs. */
export interface ReadStep extends SentStep {
  etag: string;
}

/** Which of two recorded steps is further on: the terminal mark, then the higher number. */
export function stepAhead(a: SentStep, b: SentStep): boolean {
  if (a.done !== b.done) return a.done === true;
  return a.seq > b.seq;
}

/** Rounds of "someone else wrote first: read again" before a step record gives up (each one is another writer moving forward). */
const MARK_ROUNDS = 5;

const outputSchema = z.object({ exitCode: z.number().int(), bytes: count, sha256: text, chunks: count });

const learnedSchema = z.object({ runId: text, durations: jsonText(durationsSchema, {}) });

export class TableStepRecords implements StepRecords {
  constructor(
    private readonly client: TableClient,
    private readonly timeoutMs: number,
  ) {}

  private async call<T>(operation: string, fn: (o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await fn({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw toStoreError(e, this.client.tableName, operation);
    }
  }

  private async rows(operation: string, filter: string, select?: string[]): Promise<Entity[]> {
    return this.call(operation, async (o) => {
      const out: Entity[] = [];
      for await (const e of this.client.listEntities<Entity>({ queryOptions: { filter, ...(select ? { select } : {}) }, abortSignal: o.abortSignal }))
        out.push(e);
      return out;
    });
  }

  async commands(key: StepKey): Promise<CommandRecord[]> {
    const range = prefixRange(scanKey(key.scanId));
    const rows = await this.rows(
      `read the commands of scan ${key.scanId}`,
      odata`PartitionKey eq ${stepsPartition(key.runId)} and RowKey ge ${range.from} and RowKey lt ${range.to}`,
    );
    return rows
      .filter((r) => /~b~\d+$/.test(String(r['rowKey'])))
      .map((r) => {
        const c = decode(commandSchema, r, 'step command record');
        return {
          batch: c.batch,
          attempt: c.attempt,
          commandId: c.commandId,
          postedAt: c.postedAt,
          units: c.units,
          ...(c.durationMs !== undefined ? { durationMs: c.durationMs } : {}),
        };
      });
  }

  async recordCommand(key: StepKey, cmd: InFlight): Promise<void> {
    const entity = { partitionKey: stepsPartition(key.runId), rowKey: batchRow(key.scanId, 'b', cmd.batch), ...cmd };
    await this.call(`record command ${cmd.commandId}`, (o) => this.client.upsertEntity(entity, 'Replace', o));
  }

  async commandDone(key: StepKey, cmd: InFlight, durationMs: number): Promise<void> {
    const entity = { partitionKey: stepsPartition(key.runId), rowKey: batchRow(key.scanId, 'b', cmd.batch), ...cmd, durationMs: Math.round(durationMs) };
    await this.call(`record command ${cmd.commandId} done`, (o) => this.client.upsertEntity(entity, 'Replace', o));
  }

  async saveOutput(key: StepKey, batch: number, result: CommandResult): Promise<void> {
    const packed = pack(result.logs, CHUNKS_PER_ENTITY);
    // Run-command output is capped at 512 kB: it always fits one entity of 12 chunks.
    if (packed.parts.length > 1) throw new Error(`the output of batch ${batch} is ${packed.bytes} bytes gzip'd, more than one entity holds`);
    const entity = {
      partitionKey: stepsPartition(key.runId),
      rowKey: batchRow(key.scanId, 'o', batch),
      exitCode: result.exitCode,
      bytes: packed.bytes,
      sha256: packed.sha256,
      chunks: packed.parts[0]?.length ?? 0,
      ...chunkProps(packed.parts[0] ?? []),
    };
    await this.call(`save the output of batch ${batch}`, (o) => this.client.upsertEntity(entity, 'Replace', o));
  }

  async outputs(key: StepKey, batches: readonly number[]): Promise<Map<number, CommandResult>> {
    const out = new Map<number, CommandResult>();
    for (const batch of batches) {
      const row = await this.call(`read the output of batch ${batch}`, (o) =>
        this.client.getEntity<Entity>(stepsPartition(key.runId), batchRow(key.scanId, 'o', batch), o),
      ).catch((e: unknown) => {
        if ((e as { statusCode?: unknown }).statusCode === 404) return null;
        throw e;
      });
      if (!row) continue;
      const h = decode(outputSchema, row, 'step output');
      const chunks = readChunks(row, h.chunks);
      if (!chunks) continue;
      out.set(batch, { exitCode: h.exitCode, logs: String(unpack(chunks, h.bytes, h.sha256)) });
    }
    return out;
  }

  /** The latest step sent for the scan, or null before its first follow-up. */
  async lastStep(key: StepKey): Promise<ReadStep | null> {
    const row = await this.call(`read the latest step of scan ${key.scanId}`, (o) =>
      this.client.getEntity<Entity>(stepsPartition(key.runId), stepRow(key.scanId), o),
    ).catch((e: unknown) => {
      if ((e as { statusCode?: unknown }).statusCode === 404) return null;
      throw e;
    });
    if (!row) return null;
    const r = decode(stepSchema, row, 'latest step');
    return { seq: r.seq, ...(r.messageId ? { messageId: r.messageId } : {}), ...(r.done ? { done: true as const } : {}), etag: String(row.etag) };
  }

  /**
   * Records that step `seq` of the scan was sent, as queue message `messageId` (or, `done`, that the
   * scan was stored). The record only moves forward: written on the condition that it is still what
   * `read` saw (inserted only if nothing was read); when another worker wrote first, read again and
   * write only if this step is further on. Two workers of one scan (a redelivered step racing its own
   * follow-up) thus agree on one chain. Returns the step that stands recorded.
   */
  async markStep(key: StepKey, step: SentStep, read: ReadStep | null): Promise<SentStep> {
    const entity = {
      partitionKey: stepsPartition(key.runId),
      rowKey: stepRow(key.scanId),
      seq: step.seq,
      ...(step.messageId ? { messageId: step.messageId } : {}),
      ...(step.done ? { done: true } : {}),
    };
    let seen = read;
    for (let round = 0; round < MARK_ROUNDS; round++) {
      if (seen && !stepAhead(step, seen)) return seen;
      const etag = seen?.etag;
      const written = await this.call(`record step ${step.seq}${step.done ? ' (done)' : ''} of scan ${key.scanId}`, (o) =>
        etag ? this.client.updateEntity(entity, 'Replace', { ...o, etag }) : this.client.createEntity(entity, o),
      ).then(
        () => true,
        (e: unknown) => {
          // 412: changed since read; 409: created since read. Anything else is a storage failure.
          const status = (e as { statusCode?: unknown }).statusCode;
          if (status === 412 || status === 409) return false;
          throw e;
        },
      );
      if (written) return step;
      seen = await this.lastStep(key);
    }
    throw new Error(`step ${step.seq} of scan ${key.scanId} could not be recorded: its record changed ${MARK_ROUNDS} times while writing`);
  }

  /** Keeps a cluster whose tags make the follow-up messages too large for the queue (64 KB). */
  async saveCluster(key: StepKey, cluster: ClusterRef): Promise<void> {
    const packed = pack(cluster, CHUNKS_PER_ENTITY);
    if (packed.parts.length > 1) throw new Error(`the cluster ${cluster.id} is ${packed.bytes} bytes gzip'd, more than one entity holds`);
    const entity = {
      partitionKey: stepsPartition(key.runId),
      rowKey: clusterRow(key.scanId),
      bytes: packed.bytes,
      sha256: packed.sha256,
      chunks: packed.parts[0]?.length ?? 0,
      ...chunkProps(packed.parts[0] ?? []),
    };
    await this.call(`save cluster ${cluster.id}`, (o) => this.client.upsertEntity(entity, 'Replace', o));
  }

  async cluster(key: StepKey): Promise<unknown> {
    const row = await this.call(`read the cluster of scan ${key.scanId}`, (o) =>
      this.client.getEntity<Entity>(stepsPartition(key.runId), clusterRow(key.scanId), o),
    );
    const h = decode(outputSchema.omit({ exitCode: true }), row, 'step cluster');
    const chunks = readChunks(row, h.chunks);
    if (!chunks) throw new Error(`the stored cluster of scan ${key.scanId} is missing chunks`);
    return unpack(chunks, h.bytes, h.sha256);
  }

  /**
   * The durations for run `runId`: learned from the previous run's finished commands (one
   * partition query), merged over what was learned before, and written for the next run.
   */
  async learn(runId: string): Promise<LearnedDurations> {
    const row = await this.call('read the learned durations', (o) => this.client.getEntity<Entity>(LEARNED_PARTITION, LEARNED_ROW, o)).catch((e: unknown) => {
      if ((e as { statusCode?: unknown }).statusCode === 404) return null;
      throw e;
    });
    const before = row ? decode(learnedSchema, row, 'learned durations') : null;
    if (before?.runId === runId) return before.durations;
    let durations = before?.durations ?? {};
    if (before) {
      const rows = await this.rows(`read the command durations of run ${before.runId}`, odata`PartitionKey eq ${stepsPartition(before.runId)}`, [
        'units',
        'durationMs',
      ]);
      const samples = rows.flatMap((r) => {
        const d = Number(r['durationMs']);
        return r['durationMs'] !== undefined && Number.isFinite(d) ? [{ units: Number(r['units'] ?? 0), durationMs: d }] : [];
      });
      durations = learnDurations(samples, durations);
    }
    const entity = { partitionKey: LEARNED_PARTITION, rowKey: LEARNED_ROW, runId, durations: JSON.stringify(durations) };
    await this.call('write the learned durations', (o) => this.client.upsertEntity(entity, 'Replace', o));
    return durations;
  }

  /** Deletes a run's step records (with the run, by pruneHistory). */
  async forgetRun(runId: string): Promise<number> {
    const rows = await this.rows(`list the step records of run ${runId}`, odata`PartitionKey eq ${stepsPartition(runId)}`, ['PartitionKey', 'RowKey']);
    for (const r of rows) {
      await this.call('delete a step record', (o) => this.client.deleteEntity(String(r['partitionKey']), String(r['rowKey']), o)).catch((e: unknown) => {
        if ((e as { statusCode?: unknown }).statusCode !== 404) throw e;
      });
    }
    return rows.length;
  }
}
