/**
 * The kube-bench Jobs our scan script leaves in a simulated cluster, as sets: one per cluster and
 * scan.env (scan id and batch). aksfs-scan.sh leaves its Jobs when it ends and Kubernetes deletes
 * them ttlSecondsAfterFinished after they finished (aksfs-job.yaml), so a second command of the same
 * scan and batch that arrives within that time, during the first command or after it, finds them
 * and prints their results; after it, the Jobs are gone and a new set runs.
 */
import { jobTemplate } from '../scan/incluster/request.js';
import type { CommandOutcome } from './run-logs.js';

export interface JobSet {
  clusterId: string;
  scanId: string;
  /** Command ids that ran on this set; the first one made the Jobs. */
  commands: string[];
}

interface LiveSet extends JobSet {
  outcome: CommandOutcome;
  /** When the Jobs finished: the first command's result is ready then. */
  finishAt: number;
}

/** Sets listed by jobSets(); a test never gets near it, a day-long demo would. */
const MAX_LISTED = 200_000;

/** The Job template's ttlSecondsAfterFinished in ms: how long finished Jobs stay. */
export function jobKeepMs(template: string = jobTemplate()): number {
  const m = /^\s+ttlSecondsAfterFinished:\s*(\d+)\s*$/m.exec(template);
  if (!m?.[1]) throw new Error('aksfs-job.yaml has no ttlSecondsAfterFinished: the simulator cannot tell how long Jobs stay');
  return Number(m[1]) * 1000;
}

export class JobSets {
  private readonly live = new Map<string, LiveSet>();
  private readonly listed: LiveSet[] = [];
  private made = 0;

  constructor(private readonly keepMs: number = jobKeepMs()) {}

  /**
   * The outcome and finish time of command `id`, which runs the script for `scanEnvKey` on the
   * cluster: an earlier set's when its Jobs are still there (the script ends with them, or at once
   * when they already finished), else `run()`'s, which makes a new set.
   */
  run(
    cluster: { id: string; key: string },
    scan: { scanId: string; scanEnvKey: string },
    id: string,
    now: number,
    run: () => { outcome: CommandOutcome; finishAt: number },
  ): { outcome: CommandOutcome; finishAt: number } {
    const key = `${cluster.key}/${scan.scanEnvKey}`;
    const set = this.live.get(key);
    if (set && now - set.finishAt < this.keepMs) {
      set.commands.push(id);
      return { outcome: set.outcome, finishAt: Math.max(now, set.finishAt) };
    }
    const made = run();
    const fresh: LiveSet = { clusterId: cluster.id, scanId: scan.scanId, commands: [id], ...made };
    this.live.set(key, fresh);
    this.listed.push(fresh);
    if (this.listed.length > MAX_LISTED) this.listed.splice(0, this.listed.length - MAX_LISTED);
    this.prune(now);
    return made;
  }

  /** Every set made, oldest first. */
  list(): JobSet[] {
    return this.listed.map((j) => ({ clusterId: j.clusterId, scanId: j.scanId, commands: [...j.commands] }));
  }

  /** Forgets sets whose Jobs Kubernetes has deleted, so a long demo does not keep every one. */
  private prune(now: number): void {
    if (++this.made % 1000 !== 0) return;
    for (const [k, s] of this.live) if (now - s.finishAt >= this.keepMs) this.live.delete(k);
  }
}
