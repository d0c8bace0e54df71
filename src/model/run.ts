/** Scan runs: one per timer tick, POST /api/scans or `scan --storage`, with per-cluster progress. */

/** What started a run: the schedule, the API, or the CLI. */
export const RUN_TRIGGERS = ['timer', 'http', 'cli'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
