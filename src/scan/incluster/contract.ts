/**
 * The contract between the run-command we send and what runs in the cluster.
 *
 * ARM does not list a cluster's nodes, so node choice happens in the cluster: we send which pools
 * to cover and how (one Ready node per pool, or a slice of all Linux nodes), and the script picks
 * the nodes. The request's `context` is a base64 zip holding the script, the Job template, the
 * node-selection jq program and `scan.env`; `command` runs the script. The ARM simulator reads the same `scan.env` to know what
 * a real cluster would have done, so both sides import this one module.
 */
import { strFromU8, unzipSync } from 'fflate';
import type { ZipEntry } from './zip.js';
import { writeZip, zipEntry } from './zip.js';

export const SCRIPT_FILE = 'aksfs-scan.sh';
export const JOB_TEMPLATE_FILE = 'aksfs-job.yaml';
export const ENV_FILE = 'scan.env';
/** The jq program that picks the nodes, shared by the scan and the doctor script. */
export const NODES_FILE = 'aksfs-nodes.jq';
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

/** 0755 for scripts, else 0644. */
function modeOf(name: string): number {
  return name.endsWith('.sh') ? 0o755 : 0o644;
}

/** Builds the run-command `context`: base64 of a zip of the given files, every entry with an explicit Unix mode (zip.ts). */
export function zipContext(files: Record<string, string>): string {
  return writeZip(Object.entries(files).map(([name, body]) => zipEntry(name, body, modeOf(name)))).toString('base64');
}

/**
 * The context of one kind of request: the files that never change (the script, the Job template)
 * are compressed once; each build adds its own files (scan.env) and writes the zip.
 */
export class ContextZip {
  private readonly fixed: ZipEntry[];

  constructor(fixedFiles: Record<string, string>) {
    this.fixed = Object.entries(fixedFiles).map(([name, body]) => zipEntry(name, body, modeOf(name)));
  }

  /** `files` are stored, not deflated: they are a few hundred bytes. */
  build(files: Record<string, string>): string {
    return writeZip([...this.fixed, ...Object.entries(files).map(([name, body]) => zipEntry(name, body, modeOf(name), false))]).toString('base64');
  }
}

export function unzipContext(contextB64: string): Record<string, string> {
  return decode(unzipSync(new Uint8Array(Buffer.from(contextB64, 'base64'))));
}

/** One file of a context, or undefined; only that entry is inflated. */
export function fileFromContext(contextB64: string, name: string): string | undefined {
  return decode(unzipSync(new Uint8Array(Buffer.from(contextB64, 'base64')), { filter: (f) => f.name === name }))[name];
}

function decode(files: Record<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) out[name] = strFromU8(bytes);
  return out;
}

/** Reads scan.env back out of a run-command context; the simulator's view of our request. */
export function scanEnvFromContext(contextB64: string): ScanEnv {
  const env = fileFromContext(contextB64, ENV_FILE);
  if (env === undefined) throw new Error(`run-command context has no ${ENV_FILE}`);
  return parseScanEnv(env);
}
