/**
 * The contract between the run-command we send and what runs in the cluster.
 *
 * ARM does not list a cluster's nodes, so node choice happens in the cluster: we send which pools
 * to cover and how (one Ready node per pool, or a slice of all Linux nodes), and the script picks
 * the nodes. The request's `context` is a base64 zip holding the script, the Job template and
 * `scan.env`; `command` runs the script. The ARM simulator reads the same `scan.env` to know what
 * a real cluster would have done, so both sides import this one module.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';

export const SCRIPT_FILE = 'aksfs-scan.sh';
export const JOB_TEMPLATE_FILE = 'aksfs-job.yaml';
export const ENV_FILE = 'scan.env';
export const RUN_COMMAND = `bash ./${SCRIPT_FILE}`;

export const DEFAULT_IMAGE = 'docker.io/aquasec/kube-bench:v0.15.6';

export type NodeSelection = 'per-pool' | 'all';

/** Everything the script needs, written to scan.env as KEY=value lines. */
export interface ScanEnv {
  /** Unique per scan and batch; lower-case DNS label characters only. */
  scanId: string;
  benchmark: string;
  image: string;
  selection: NodeSelection;
  /** Linux pools to cover (agentpool label values). */
  pools: string[];
  /** With selection 'all': Linux nodes sorted by name, the slice [index*size, (index+1)*size). */
  batchIndex: number;
  batchSize: number;
  /** Seconds the script waits for all Jobs; kept well under run-command's ~5 minute ceiling. */
  jobTimeoutSeconds: number;
}

const KEYS: Record<keyof ScanEnv, string> = {
  scanId: 'AKSFS_SCAN_ID',
  benchmark: 'AKSFS_BENCHMARK',
  image: 'AKSFS_IMAGE',
  selection: 'AKSFS_SELECT',
  pools: 'AKSFS_POOLS',
  batchIndex: 'AKSFS_BATCH_INDEX',
  batchSize: 'AKSFS_BATCH_SIZE',
  jobTimeoutSeconds: 'AKSFS_JOB_TIMEOUT',
};

const SAFE_VALUE = /^[A-Za-z0-9._:/@,-]*$/;

/** Serialises scan.env. Values are restricted to a shell-safe set so `source scan.env` cannot inject. */
export function formatScanEnv(env: ScanEnv): string {
  const lines: string[] = [];
  for (const [field, key] of Object.entries(KEYS) as [keyof ScanEnv, string][]) {
    const v = env[field];
    const s = Array.isArray(v) ? v.join(',') : String(v);
    if (!SAFE_VALUE.test(s)) throw new Error(`scan.env: ${key} has characters outside [A-Za-z0-9._:/@,-]: ${JSON.stringify(s)}`);
    lines.push(`${key}=${s}`);
  }
  return lines.join('\n') + '\n';
}

export function parseScanEnv(text: string): ScanEnv {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m && m[1] !== undefined && m[2] !== undefined) kv.set(m[1], m[2]);
  }
  const get = (f: keyof ScanEnv): string => {
    const v = kv.get(KEYS[f]);
    if (v === undefined) throw new Error(`scan.env: ${KEYS[f]} is missing`);
    return v;
  };
  const selection = get('selection');
  if (selection !== 'per-pool' && selection !== 'all') throw new Error(`scan.env: AKSFS_SELECT must be per-pool or all, not ${selection}`);
  const int = (f: keyof ScanEnv): number => {
    const n = Number(get(f));
    if (!Number.isInteger(n) || n < 0) throw new Error(`scan.env: ${KEYS[f]} must be a whole number`);
    return n;
  };
  return {
    scanId: get('scanId'),
    benchmark: get('benchmark'),
    image: get('image'),
    selection,
    pools: get('pools').split(',').filter(Boolean),
    batchIndex: int('batchIndex'),
    batchSize: int('batchSize'),
    jobTimeoutSeconds: int('jobTimeoutSeconds'),
  };
}

/** Builds the run-command `context`: base64 of a zip of the given files. */
export function zipContext(files: Record<string, string>): string {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, body] of Object.entries(files)) entries[name] = strToU8(body);
  return Buffer.from(zipSync(entries, { level: 9 })).toString('base64');
}

export function unzipContext(contextB64: string): Record<string, string> {
  const files = unzipSync(new Uint8Array(Buffer.from(contextB64, 'base64')));
  const out: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) out[name] = strFromU8(bytes);
  return out;
}

/** Reads scan.env back out of a run-command context; the simulator's view of our request. */
export function scanEnvFromContext(contextB64: string): ScanEnv {
  const files = unzipContext(contextB64);
  const env = files[ENV_FILE];
  if (env === undefined) throw new Error(`run-command context has no ${ENV_FILE}`);
  return parseScanEnv(env);
}
