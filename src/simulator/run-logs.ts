/**
 * What a run-command of our scan script returns on a simulated cluster: the script's own lines,
 * one envelope per scanned node (or a status line for a node that could not be scanned), and the
 * faults the spec injects into the output. Run-command cuts output at 512 kB; so do we.
 */
import { errorMessage } from '../model/errors.js';
import { existsSync } from 'node:fs';
import { encodeEnvelope, formatPlanLine, formatStatusLine } from '../model/envelope.js';
import type { ScanEnv } from '../scan/incluster/contract.js';
import { RUN_COMMAND, SCRIPT_FILE, scanEnvFromContext } from '../scan/incluster/contract.js';
import type { AdmissionSpec, ClusterSpec, Fault, PoolSpec } from './fleet-spec.js';
import { benchmarkForVersion } from '../scan/plan.js';
import { hostileLogs } from './hostile.js';
import { DOCTOR_COMMAND, doctorEnvFromContext } from '../doctor/request.js';
import { doctorLogs, rbacRefusal } from './doctor-run.js';
import { kubeBenchCfgDir } from './kube-bench-cfg.js';
import { generateKubeBenchReport } from './kube-bench-report.js';
import { failingChecks } from './node-profiles.js';
import type { SimNode } from './nodes.js';
import { chooseNodes, poolNodes } from './nodes.js';
import type { Rng } from './random.js';

/** Run-command's documented output limit (AKS docs, access-private-cluster): 512 kB. */
export const RUN_COMMAND_OUTPUT_LIMIT = 512 * 1024;

export type CommandOutcome = { provisioningState: 'succeeded'; exitCode: number; logs: string } | { provisioningState: 'failed'; reason: string };

export const DEFAULT_NODE_REASONS: Readonly<Record<string, string>> = {
  unschedulable:
    "0/6 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 5 node(s) had untolerated taint {CriticalAddonsOnly: true}. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
  'admission-denied':
    'admission webhook "validation.gatekeeper.sh" denied the request: [azurepolicy-k8sazurev2blockhostnamespace-e3b0c44298fc1c149afb] Sharing the host namespace is not allowed: aksfs-job',
  'image-pull': 'Back-off pulling image "docker.io/aquasec/kube-bench:v0.15.6": ErrImagePull',
  'not-started': 'pod did not start within 60s',
  timeout: 'job did not complete within the timeout',
  failed: 'kube-bench exited with code 1',
  'no-output': 'the job completed without output',
};

/** Cuts a string to at most `limit` UTF-8 bytes without splitting a character. */
export function cutUtf8(s: string, limit: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= limit) return s;
  let end = limit;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

const benchmarkKnown = new Map<string, boolean>();
function knownBenchmark(b: string): boolean {
  let k = benchmarkKnown.get(b);
  if (k === undefined) {
    k = /^[a-z0-9.-]+$/.test(b) && existsSync(`${kubeBenchCfgDir()}${b}/node.yaml`);
    benchmarkKnown.set(b, k);
  }
  return k;
}

function minorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** The script cuts reasons to 300 characters (status_line in aksfs-scan.sh). */
function statusLine(node: string, pool: string, status: string, reason: string): string {
  return formatStatusLine({ node, pool, status, reason: reason.slice(0, 300) });
}

function nodeBlock(cluster: ClusterSpec, pool: PoolSpec, node: SimNode, env: ScanEnv, status: string | null): string {
  if (status !== null) return statusLine(node.name, pool.name, status, pool.nodeStatus?.reason ?? DEFAULT_NODE_REASONS[status] ?? status);
  const kubelet = pool.orchestratorVersion ?? cluster.kubernetesVersion;
  // 'auto': the script picks per node from its kubelet version, as kube-bench would.
  const benchmark = env.benchmark === 'auto' ? benchmarkForVersion(kubelet) : env.benchmark;
  if (!knownBenchmark(benchmark)) {
    // kube-bench itself fails on the node; our Job reports that as the node's status.
    return statusLine(node.name, pool.name, 'failed', `kube-bench exited 1: config file for benchmark ${benchmark} not found`);
  }
  const report = generateKubeBenchReport(benchmark, failingChecks(pool, benchmark), { detectedVersion: minorOf(kubelet) });
  return encodeEnvelope(JSON.stringify(report), { node: node.name, pool: pool.name, benchmark, format: 'json' });
}

/**
 * Cuts the log in the middle of the payload line nearest `at` (a fraction of its length), so the
 * envelope it belongs to is left without its END line: the "truncated" case, not "corrupt".
 */
function cutInsideEnvelope(logs: string, at: number): string {
  const target = Math.floor(logs.length * at);
  let pos = 0;
  let inside = false;
  let best: { start: number; len: number } | null = null;
  for (const line of logs.split('\n')) {
    if (line.startsWith('===AKSFS-BEGIN ')) inside = true;
    else if (line.startsWith('===AKSFS-END ')) inside = false;
    else if (inside && line.length > 1 && (best === null || Math.abs(pos - target) < Math.abs(best.start - target))) best = { start: pos, len: line.length };
    pos += line.length + 1;
  }
  if (!best) return logs.slice(0, target);
  return logs.slice(0, best.start + Math.floor(best.len / 2));
}

/** kubectl and glog chatter used to pad output past the cap. */
function chatter(rng: Rng, bytes: number): string {
  const lines: string[] = [];
  let n = 0;
  while (n < bytes) {
    const l = `W1126 ${String(rng.int(0, 23)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}:07.${rng.int(100000, 999999)}    ${rng.int(10, 99)} warnings.go:70] unknown field "spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile" (request ${rng.int(1e6, 9e6)})`;
    lines.push(l);
    n += l.length + 1;
  }
  return lines.join('\n') + '\n';
}

function garbage(rng: Rng): string {
  const junk = Array.from({ length: 40 }, () => String.fromCharCode(rng.int(33, 126))).join('');
  return [
    'Error from server (InternalError): an error on the server ("") has prevented the request from succeeding (get pods)',
    `\u0000\u001b[0m${junk}`,
    '{"Controls":[{"id":"3","version":"aks-1.',
    "E1126 10:02:11.000000       1 memcache.go:265] couldn't get current server API group list: the server was unable to return a response in the time allotted",
  ].join('\n');
}

/** The logs of one run of our scan script, before output faults; stderr and stdout merged as run-command does. */
function scriptLogs(cluster: ClusterSpec, env: ScanEnv): { logs: string; exitCode: number } {
  if (env.batchSize === 0) return { logs: '[aksfs] error: AKSFS_BATCH_SIZE must be above 0\n', exitCode: 2 };
  // The script's first two calls list its Jobs and the nodes; without RBAC for them it stops.
  if (cluster.rbacDenied.includes('list jobs.batch'))
    return { logs: `[aksfs] error: cannot list Jobs in namespace ${env.namespace}: ${rbacRefusal('list', 'jobs.batch', env.namespace)}\n`, exitCode: 2 };
  if (cluster.rbacDenied.includes('list nodes')) return { logs: `[aksfs] error: cannot list nodes: ${rbacRefusal('list', 'nodes', null)}\n`, exitCode: 2 };
  return { logs: scriptBody(cluster, env), exitCode: 0 };
}

function scriptBody(cluster: ClusterSpec, env: ScanEnv): string {
  const choice = chooseNodes(cluster, env);
  let body = `[aksfs] groups: ${choice.groups.join(',')}\n`;
  for (const pool of choice.empty) body += statusLine('-', pool, 'not-started', `no Ready Linux node in pool ${pool}`);
  const unit = env.selection === 'per-pool' ? 'groups' : 'nodes';
  body += `[aksfs] batch ${env.batchIndex}: ${choice.nodes.length} of ${choice.total} Ready Linux ${unit}, from position ${env.batchIndex * env.batchSize}\n`;
  if (choice.nodes.length === 0) return body + '[aksfs] no node to scan\n';
  body += formatPlanLine(choice.nodes.map((n) => n.name));
  body += `[aksfs] created ${choice.nodes.length} Job(s) in namespace ${env.namespace}\n`;
  const denial = admissionDenial(cluster.admission, env.namespace);
  // A pool's nodeStatus fault hits the first N of its Ready nodes by name, whichever batch they fall in.
  for (const n of choice.nodes) {
    const pool = cluster.pools.find((p) => p.name === n.pool);
    if (!pool) continue;
    if (denial) {
      body += statusLine(n.name, pool.name, 'admission-denied', denial);
      continue;
    }
    const rank = poolNodes(cluster, pool).filter((x) => x.ready && x.name < n.name).length;
    const affected = pool.nodeStatus !== undefined && rank < (pool.nodeStatus.nodes ?? Number.MAX_SAFE_INTEGER);
    body += nodeBlock(cluster, pool, n, env, affected ? (pool.nodeStatus?.status ?? null) : null);
  }
  return body + '[aksfs] done\n';
}

/** Gatekeeper's refusal of our Job's pod, as the Job's FailedCreate event says it; null when the namespace is excluded. */
export function admissionDenial(a: AdmissionSpec | undefined, namespace: string): string | null {
  if (!a || a.excludedNamespaces.includes(namespace)) return null;
  const why = a.denies.includes('hostPID')
    ? 'Sharing the host namespace is not allowed: kube-bench'
    : 'HostPath volume {"name": "var-lib-kubelet", "hostPath": {"path": "/var/lib/kubelet"}} is not allowed, pod: kube-bench. Allowed path: []';
  return `Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [${a.policy}] ${why}`;
}

/** `kubectl get nodes`, for a scanner's preflight or a person trying the simulator by hand. */
function kubectlGetNodes(cluster: ClusterSpec): string {
  const rows = cluster.pools.flatMap((p) => poolNodes(cluster, p).map((n) => ({ n, v: p.orchestratorVersion ?? cluster.kubernetesVersion })));
  const lines = ['NAME                                STATUS     ROLES    AGE   VERSION'];
  for (const { n, v } of rows) lines.push(`${n.name.padEnd(36)}${(n.ready ? 'Ready' : 'NotReady').padEnd(11)}<none>   16d   v${v}`);
  return lines.join('\n') + '\n';
}

export interface RunRequest {
  command: string;
  context?: string | undefined;
}

/** Decides a command's outcome: the cluster's command faults first, then the script's real output. */
export function runOnCluster(cluster: ClusterSpec, req: RunRequest, rng: Rng): CommandOutcome {
  const faults: Fault[] = cluster.faults;
  const failed = faults.find((f) => f.kind === 'command-failed');
  if (failed) return { provisioningState: 'failed', reason: failed.reason };

  let logs = '';
  let exitCode = 0;
  const command = req.command.trim();
  if (command === RUN_COMMAND || command.startsWith(`${RUN_COMMAND} `)) {
    if (!req.context) {
      logs = `bash: ./${SCRIPT_FILE}: No such file or directory\n`;
      exitCode = 127;
    } else {
      try {
        ({ logs, exitCode } = scriptLogs(cluster, scanEnvFromContext(req.context)));
      } catch (e) {
        logs = `[aksfs] error: ${errorMessage(e)}\n`;
        exitCode = 2;
      }
    }
  } else if (command === DOCTOR_COMMAND) {
    try {
      logs = doctorLogs(cluster, doctorEnvFromContext(req.context ?? ''));
    } catch (e) {
      logs = `[aksfs-doctor] error: ${errorMessage(e)}\n`;
      exitCode = 2;
    }
  } else if (/^kubectl get nodes\b/.test(command)) {
    logs = kubectlGetNodes(cluster);
  }

  for (const f of faults) {
    if (f.kind === 'exit-code') {
      // The script's die(): it gave up before any node ran.
      logs = `[aksfs] error: cannot list nodes: Unable to connect to the server: net/http: TLS handshake timeout (after ${rng.int(30, 31)}s)\n`;
      exitCode = f.exitCode;
    } else if (f.kind === 'hostile') {
      logs = hostileLogs(f.case, logs);
    } else if (f.kind === 'garbage-logs') {
      logs = garbage(rng);
    } else if (f.kind === 'truncated-logs') {
      logs = cutInsideEnvelope(logs, f.at);
    } else if (f.kind === 'oversize-logs') {
      // Warnings arrive before the envelopes, sized so the cap falls inside the first one: no
      // node survives, as when a command's chatter alone fills run-command's 512 kB.
      const first = logs.indexOf('===AKSFS-');
      const at = first >= 0 ? first : logs.length;
      const end = logs.indexOf('===AKSFS-END', at);
      const firstLen = end > at ? Buffer.byteLength(logs.slice(at, end)) : 0;
      const head = Buffer.byteLength(logs.slice(0, at));
      const pad = Math.max(0, RUN_COMMAND_OUTPUT_LIMIT - head - Math.floor(firstLen / 2));
      logs = logs.slice(0, at) + chatter(rng, pad) + logs.slice(at);
    }
  }
  return { provisioningState: 'succeeded', exitCode, logs: cutUtf8(logs, RUN_COMMAND_OUTPUT_LIMIT) };
}
