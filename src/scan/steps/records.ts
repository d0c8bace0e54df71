/**
 * What the steps keep outside the message: each command id, recorded as soon as ARM accepted the
 * POST, so that a redelivered or duplicated step reuses it instead of POSTing again; and the
 * output of a batch that finished while other batches still run (too large for a message).
 * The pipeline keeps them in Table Storage (src/store/steps.ts); the CLI's in-process scan in memory.
 */
import type { CommandResult } from '../run-command.js';
import type { InFlight } from './progress.js';

/** Whose records: one scan of one cluster in one run. */
export interface StepKey {
  runId: string;
  /** The cluster's scan id in the run (the message's scanId). */
  scanId: string;
}

export interface CommandRecord extends InFlight {
  /** Set once the command's result was read. */
  durationMs?: number;
}

export interface StepRecords {
  /** The latest attempt of each batch recorded for this scan. */
  commands(key: StepKey): Promise<CommandRecord[]>;
  recordCommand(key: StepKey, cmd: InFlight): Promise<void>;
  /** Marks the command done and how long it ran (the fleet's durations are learned from these). */
  commandDone(key: StepKey, cmd: InFlight, durationMs: number): Promise<void>;
  saveOutput(key: StepKey, batch: number, result: CommandResult): Promise<void>;
  outputs(key: StepKey, batches: readonly number[]): Promise<Map<number, CommandResult>>;
}

/** In memory: for one process (the CLI's scan, tests). */
export class MemoryStepRecords implements StepRecords {
  private readonly cmds = new Map<string, Map<number, CommandRecord>>();
  private readonly outs = new Map<string, Map<number, CommandResult>>();

  private id(key: StepKey): string {
    return `${key.runId}/${key.scanId}`;
  }

  async commands(key: StepKey): Promise<CommandRecord[]> {
    return [...(this.cmds.get(this.id(key))?.values() ?? [])];
  }

  async recordCommand(key: StepKey, cmd: InFlight): Promise<void> {
    const m = this.cmds.get(this.id(key)) ?? new Map<number, CommandRecord>();
    m.set(cmd.batch, { ...cmd });
    this.cmds.set(this.id(key), m);
  }

  async commandDone(key: StepKey, cmd: InFlight, durationMs: number): Promise<void> {
    const rec = this.cmds.get(this.id(key))?.get(cmd.batch);
    if (rec && rec.commandId === cmd.commandId) rec.durationMs = durationMs;
  }

  async saveOutput(key: StepKey, batch: number, result: CommandResult): Promise<void> {
    const m = this.outs.get(this.id(key)) ?? new Map<number, CommandResult>();
    m.set(batch, result);
    this.outs.set(this.id(key), m);
  }

  async outputs(key: StepKey, batches: readonly number[]): Promise<Map<number, CommandResult>> {
    const m = this.outs.get(this.id(key));
    return new Map(batches.flatMap((b) => (m?.has(b) ? [[b, m.get(b) as CommandResult] as const] : [])));
  }

  /** Drops a finished scan's records: an in-process scan of a large fleet must not keep every output. */
  forget(key: StepKey): void {
    this.cmds.delete(this.id(key));
    this.outs.delete(this.id(key));
  }
}

/** A failure of the records themselves (storage), not of the scan: the step is retried, never recorded as the cluster's outcome. */
export class StepRecordsError extends Error {
  override readonly name = 'StepRecordsError';
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** The same records, with their failures marked as StepRecordsError. */
export function guarded(records: StepRecords): StepRecords {
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (e) {
        throw new StepRecordsError(e);
      }
    };
  return {
    commands: wrap((k) => records.commands(k)),
    recordCommand: wrap((k, c) => records.recordCommand(k, c)),
    commandDone: wrap((k, c, d) => records.commandDone(k, c, d)),
    saveOutput: wrap((k, b, r) => records.saveOutput(k, b, r)),
    outputs: wrap((k, b) => records.outputs(k, b)),
  };
}
