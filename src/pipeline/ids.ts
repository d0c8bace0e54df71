/** Run and scan ids: sortable by time, unique, safe in table keys and Kubernetes names. */
import { randomBytes } from 'node:crypto';

export function newRunId(now: Date): string {
  const t = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/** Deterministic per (run, cluster), so a redelivered message writes the same scan again. */
export function scanIdFor(runId: string, clusterIndex: number): string {
  return `${runId}-${clusterIndex.toString(36)}`;
}
