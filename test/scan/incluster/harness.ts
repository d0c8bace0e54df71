/**
 * Runs the in-cluster scripts (aksfs-scan.sh, aksfs-doctor.sh) the way run-command would (files
 * unzipped from the request's context into the working directory, `bash ./<script>`), with
 * fake-kubectl.sh as kubectl and fake-cluster.ts answering it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipContext } from '../../../src/scan/incluster/contract.js';
import type { ScanEnv } from '../../../src/scan/incluster/contract.js';
import type { RunCommandRequest } from '../../../src/scan/incluster/request.js';
import { buildRunCommandRequest } from '../../../src/scan/incluster/request.js';
import { FakeCluster } from './fake-cluster.js';
import type { Call, Scenario } from './fake-cluster.js';

export type { Call, Outcome, Scenario } from './fake-cluster.js';
export { FakeCluster } from './fake-cluster.js';

const FAKE_KUBECTL = fileURLToPath(new URL('./fake-kubectl.sh', import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  calls: Call[];
  /** The Job manifests the script applied, by Job name. */
  jobs: Record<string, unknown>;
  ms: number;
}

export interface NodeSpec {
  name: string;
  pool: string;
  ready?: boolean;
  os?: string;
  cordoned?: boolean;
  /** A Karpenter node: labelled karpenter.sh/nodepool=<pool> instead of the agentpool label. */
  karpenter?: boolean;
  virtualKubelet?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  kubeletVersion?: string;
}

export function nodeList(nodes: NodeSpec[]): unknown {
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: nodes.map((n) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        labels: {
          'kubernetes.io/os': n.os ?? 'linux',
          [n.karpenter ? 'karpenter.sh/nodepool' : 'kubernetes.azure.com/agentpool']: n.pool,
          'kubernetes.io/hostname': n.name,
          ...(n.virtualKubelet ? { type: 'virtual-kubelet' } : {}),
        },
      },
      spec: { ...(n.cordoned ? { unschedulable: true } : {}), ...(n.taints ? { taints: n.taints } : {}) },
      status: {
        nodeInfo: { kubeletVersion: n.kubeletVersion ?? 'v1.33.2' },
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: n.ready === false ? 'False' : 'True' },
        ],
      },
    })),
  };
}

export function scanEnv(over: Partial<ScanEnv> = {}): ScanEnv {
  return {
    scanId: 'scan1-b0',
    benchmark: 'aks-1.7',
    namespace: 'aks-fleet-scanner',
    image: 'docker.io/aquasec/kube-bench:v0.15.6',
    selection: 'per-pool',
    pools: ['system', 'user1'],
    batchIndex: 0,
    batchSize: 10,
    jobTimeoutSeconds: 5,
    ...over,
  };
}

export interface RunOptions {
  /** Extra environment for the script (tunables). */
  env?: Record<string, string>;
  /** Called once the script has made a call matching this predicate; used to signal it. */
  onCall?: { match: (c: Call) => boolean; act: (pid: number) => void };
  timeoutMs?: number;
  /** When given, PATH is the fake kubectl's directory and these, nothing else. */
  pathDirs?: string[];
  /** Replaces the file of that name from the request's context, to feed the script input the TS side refuses. */
  replace?: Record<string, string>;
}

/**
 * Runs a run-command request the way run-command does (the context unzipped into the working
 * directory, the command run there) against `cluster`, which keeps its state across runs.
 */
export async function runRequest(req: RunCommandRequest, cluster: FakeCluster, opts: RunOptions = {}): Promise<Omit<Run, 'calls' | 'jobs'>> {
  const root = mkdtempSync(join(tmpdir(), 'aksfs-test-'));
  const work = join(root, 'work');
  const bin = join(root, 'bin');
  for (const d of [work, bin]) mkdirSync(d);
  for (const [name, body] of Object.entries({ ...unzipContext(req.context), ...opts.replace })) writeFileSync(join(work, name), body);
  writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\nexec bash "${FAKE_KUBECTL}" "$@"\n`);
  chmodSync(join(bin, 'kubectl'), 0o755);

  const [shell, ...args] = req.command.split(' ');
  const port = await cluster.listen();
  const callsBefore = cluster.calls.length;
  const started = Date.now();
  const child = spawn(shell ?? 'bash', args, {
    cwd: work,
    env: {
      PATH: [bin, ...(opts.pathDirs ?? [process.env['PATH'] ?? '/usr/bin:/bin'])].join(':'),
      FAKE_KUBE_PORT: String(port),
      AKSFS_POLL_SECONDS: '0.1',
      AKSFS_UNSCHEDULABLE_GRACE: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));

  let watcher: NodeJS.Timeout | undefined;
  if (opts.onCall) {
    const { match, act } = opts.onCall;
    watcher = setInterval(() => {
      if (cluster.calls.slice(callsBefore).some(match) && child.pid !== undefined) {
        clearInterval(watcher);
        act(child.pid);
      }
    }, 10);
  }
  const limit = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(limit);
  if (watcher) clearInterval(watcher);
  await cluster.close();
  rmSync(root, { recursive: true, force: true });
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}

/** aksfs-scan.sh for `env` against a new cluster of `scenario`, or against `cluster` as its earlier runs left it. */
export async function runScan(env: ScanEnv, scenario: Scenario | FakeCluster, opts: RunOptions = {}): Promise<Run> {
  const cluster = scenario instanceof FakeCluster ? scenario : new FakeCluster(scenario);
  const callsBefore = cluster.calls.length;
  const run = await runRequest(buildRunCommandRequest(env), cluster, opts);
  const calls = cluster.calls.slice(callsBefore);
  const names = new Set(calls.flatMap((c) => c.applied.map((a) => a.name)));
  return { ...run, calls, jobs: Object.fromEntries(Object.entries(cluster.jobs).filter(([n]) => names.has(n))) };
}

/** A short name for a call, for asserting order: "get nodes", "apply Job/kb-0", "delete namespace aksfs-x". */
export function describeCall(c: Call): string {
  if (c.words[0] === 'apply' || c.words[0] === 'create') return `${c.words[0]} ${c.applied.map((a) => `${a.kind}/${a.name}`).join(',')}`;
  if (c.words[0] === 'delete') return `delete ${c.words.slice(1).join(' ')}`;
  return c.words.join(' ');
}
