/**
 * The run-commands the simulator has accepted, by id, and what GET commandResults answers for
 * each: 202 while it runs, then its result. Old results are dropped as ARM eventually does.
 */
import type { Json } from './arm-bodies.js';
import type { ClusterSpec } from './fleet-spec.js';
import type { CommandOutcome } from './run-logs.js';

const RESULT_RETENTION_MS = 3600_000;
const MAX_COMMANDS = 5000;

export interface Command {
  id: string;
  cluster: ClusterSpec;
  apiVersion: string;
  startedAt: number;
  finishAt: number;
  outcome: CommandOutcome;
}

export type CommandState = { state: 'unknown' } | { state: 'running' } | { state: 'done'; body: Json };

/**
 * ARM's examples give whole seconds; milliseconds are kept here because simulated commands run for
 * a fraction of a second, and the scanner learns command durations from these two times.
 */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

export class CommandStore {
  private readonly commands = new Map<string, Command>();

  constructor(private readonly clock: () => number) {}

  add(cmd: Command): void {
    const now = this.clock();
    // A long-running demo must not keep every result: drop those finished an hour ago.
    for (const [k, old] of this.commands) {
      if (old.finishAt > now - RESULT_RETENTION_MS && this.commands.size < MAX_COMMANDS) break;
      this.commands.delete(k);
    }
    this.commands.set(cmd.id, cmd);
  }

  /** The command's state as seen through `cluster`: another cluster's command id is unknown here. */
  state(cluster: ClusterSpec, id: string): CommandState {
    const cmd = this.commands.get(id);
    if (!cmd || cmd.cluster !== cluster) return { state: 'unknown' };
    if (this.clock() < cmd.finishAt) return { state: 'running' };
    const o = cmd.outcome;
    const properties: Record<string, Json> =
      o.provisioningState === 'failed'
        ? { provisioningState: 'failed', startedAt: iso(cmd.startedAt), finishedAt: iso(cmd.finishAt), reason: o.reason }
        : { provisioningState: 'succeeded', exitCode: o.exitCode, startedAt: iso(cmd.startedAt), finishedAt: iso(cmd.finishAt), logs: o.logs };
    return { state: 'done', body: { id, properties } };
  }
}
