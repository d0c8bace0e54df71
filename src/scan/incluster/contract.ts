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
/** An image reference pinned by tag or digest: KUBE_BENCH_IMAGE and the per-cluster tag both must match. */
export const IMAGE_REFERENCE = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/i;
/** A cluster tag that overrides the image for that cluster, e.g. to pull from a registry it can reach. */
export const IMAGE_TAG = 'aks-fleet-scanner-image';

/** One fixed namespace for every scan, so admission policies can exempt it by name. */
export const DEFAULT_NAMESPACE = 'aks-fleet-scanner';
/** A DNS-1123 label: what Kubernetes accepts as a namespace name. */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export type NodeSelection = 'per-pool' | 'all';

/** Everything the script needs, written to scan.env as KEY=value lines. */
export interface ScanEnv {
  /** Unique per scan and batch; lower-case DNS label characters only. */
  scanId: string;
  /** A benchmark name, or 'auto': the script then picks per node from its kubelet version. */
  benchmark: string;
  /** The scan namespace (DEFAULT_NAMESPACE unless configured). */
  namespace: string;
  image: string;
  selection: NodeSelection;
  /**
   * ARM's Linux agent pools: each should have a node in the cluster, or the script says it has
   * none. Nodes are chosen from what the cluster has, Karpenter node pools included.
   */
  pools: string[];
  /** The slice [index*size, (index+1)*size) of the Ready Linux nodes ('all') or node groups ('per-pool'), sorted by name. */
  batchIndex: number;
  batchSize: number;
  /** Seconds the script waits for all Jobs; kept well under run-command's ~5 minute ceiling. */
  jobTimeoutSeconds: number;
}

const KEYS: Record<keyof ScanEnv, string> = {
  scanId: 'AKSFS_SCAN_ID',
  benchmark: 'AKSFS_BENCHMARK',
  namespace: 'AKSFS_NAMESPACE',
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
    namespace: get('namespace'),
    image: get('image'),
    selection,
    pools: get('pools').split(',').filter(Boolean),
    batchIndex: int('batchIndex'),
    batchSize: int('batchSize'),
    jobTimeoutSeconds: int('jobTimeoutSeconds'),
  };
}

/** Unix file type "regular file" in a zip entry's external attributes (high 16 bits). */
const REGULAR_FILE = 0o100000;
/** "Version made by" host system 3: Unix, so unzip honours the modes. */
const UNIX_HOST = 3;

/**
 * Builds the run-command `context`: base64 of a zip of the given files. Every entry carries an
 * explicit Unix mode (0755 for *.sh, else 0644): zips whose entries had zero modes have extracted
 * unreadable in the command pod before (azure-powershell #17454).
 */
export function zipContext(files: Record<string, string>): string {
  const entries: Record<string, [Uint8Array, { os: number; attrs: number }]> = {};
  for (const [name, body] of Object.entries(files)) {
    const mode = name.endsWith('.sh') ? 0o755 : 0o644;
    entries[name] = [strToU8(body), { os: UNIX_HOST, attrs: ((REGULAR_FILE | mode) << 16) >>> 0 }];
  }
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
