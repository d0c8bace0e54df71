/**
 * The CPU a run-command request costs on the fleet's hot path, both sides of the wire:
 * - incluster.context_build_vs_uncached: buildRunCommandRequest (the script and Job template
 *   compressed once per process, scan.env stored) against building the whole context zip for every
 *   POST, as before. The previous implementation (fflate zipSync at level 9) is timed in the note.
 * - incluster.context_read_vs_full_unzip: the ARM simulator reading scan.env out of a POSTed context
 *   (only that entry) against unzipping every file first, as before.
 * `AKSFS_BENCH_INCLUSTER_CALLS` sets the calls per round (default 200; 7 rounds, median).
 */
import { strToU8, zipSync } from 'fflate';
import type { ScanEnv } from '../../src/scan/incluster/contract.js';
import { ENV_FILE, formatScanEnv, parseScanEnv, scanEnvFromContext, unzipContext, zipContext } from '../../src/scan/incluster/contract.js';
import { buildRunCommandRequest, scanContextFiles } from '../../src/scan/incluster/request.js';
import type { Figure } from '../measure.js';
import { ratioFigure, round, timePerCall } from '../measure.js';

const CALLS = Number(process.env['AKSFS_BENCH_INCLUSTER_CALLS'] ?? 200);

const env = (i: number): ScanEnv => ({
  scanId: `0123456789ab-${i % 3}`,
  benchmark: 'auto',
  namespace: 'aks-fleet-scanner',
  image: 'docker.io/aquasec/kube-bench:v0.15.6',
  selection: 'per-pool',
  pools: ['system', 'user1', 'user2'],
  batchIndex: i % 3,
  batchSize: 30,
  jobTimeoutSeconds: 150,
});

/** The context as the previous implementation built it: fflate, every file deflated at level 9 per call. */
function fflateContext(files: Record<string, string>): string {
  const entries: Record<string, [Uint8Array, { os: number; attrs: number }]> = {};
  for (const [name, body] of Object.entries(files)) entries[name] = [strToU8(body), { os: 3, attrs: ((0o100000 | 0o644) << 16) >>> 0 }];
  return Buffer.from(zipSync(entries, { level: 9 })).toString('base64');
}

export async function inclusterFigures(): Promise<Record<string, Figure>> {
  let i = 0;
  const cached = timePerCall(() => buildRunCommandRequest(env(i++)), CALLS);
  const uncached = timePerCall(() => zipContext({ ...scanContextFiles(), [ENV_FILE]: formatScanEnv(env(i++)) }), CALLS);
  const previous = timePerCall(() => fflateContext({ ...scanContextFiles(), [ENV_FILE]: formatScanEnv(env(i++)) }), Math.max(10, CALLS / 4));

  const context = buildRunCommandRequest(env(0)).context;
  const one = timePerCall(() => scanEnvFromContext(context), CALLS);
  const all = timePerCall(() => {
    const text = unzipContext(context)[ENV_FILE];
    if (text === undefined) throw new Error('bench: context without scan.env');
    return parseScanEnv(text);
  }, CALLS);

  return {
    'incluster.context_build_vs_uncached': ratioFigure(
      cached,
      uncached,
      'µs per request',
      0.2,
      `${Buffer.from(context, 'base64').length} bytes of zip; the previous build (fflate zipSync, level 9) took ${round(previous)} µs, ${round(cached / previous, 4)} of it now`,
    ),
    'incluster.context_read_vs_full_unzip': ratioFigure(one, all, 'µs per request', 0.5, 'the simulator reads scan.env for every POST'),
  };
}
