/** Scans one cluster: skip decision, plan, run-commands, logs → per-node results. One outcome, always. */
import pLimit from 'p-limit';
import type { ArmClients } from '../azure/arm.js';
import { skipDecision } from '../discover/filters.js';
import type { ClusterFilter } from '../discover/filters.js';
import type { ClusterOutcome, ClusterRef, ClusterScan, FailReason, ScannedNode } from '../model/cluster.js';
import { InputError, errorLine } from '../model/errors.js';
import type { NodeFailure } from '../model/result.js';
import { acceptPlannedNodes, LimitError } from '../parse/limits.js';
import { parseKubeBenchLog } from '../parse/log.js';
import { buildRunCommandRequest } from './incluster/request.js';
import { admissionDenial, admissionFailure, failureFromError, IMAGE_PULL_FIX, failureFromNodeStatus, kubernetesForbidden, ScanError } from './failure.js';
import type { PlanOptions } from './plan.js';
import { planClusterScan } from './plan.js';
import type { CommandResult, PollTiming, Sleep } from './run-command.js';
import { runClusterCommand, sleep } from './run-command.js';

/** The Entra ID application of the AKS API server: run-command needs a token for it on Entra ID clusters. */
/** run-commands of one cluster in flight at once (ARM allows 60 writes a minute per subscription). */
export const PARALLEL_BATCHES = 3;

export const AKS_SERVER_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

export interface ClusterScanOptions extends PlanOptions {
  timing: PollTiming;
  /** The whole cluster, all its commands, must finish within this. */
  deadlineMs: number;
  filter?: ClusterFilter;
}

/** One run-command of a cluster's scan, as it ended; attempt 2 is the retry of a command that never started. */
export interface CommandAttempt {
  clusterId: string;
  batch: number;
  attempt: number;
  outcome: 'done' | FailReason;
}

export interface ClusterScanDeps {
  arm: ArmClients;
  wait?: Sleep;
  now?: () => Date;
  /** Told of every run-command attempt, for the record of what was tried. */
  onCommand?: (a: CommandAttempt) => void;
}

/**
 * Runs a batch's command; a command whose pod never started (KubernetesPerformanceError, or a 404
 * on its result) gets one new POST, as the support article advises, while the deadline allows.
 */
async function runWithRetry(cluster: ClusterRef, batch: number, run: () => Promise<CommandResult>, deps: ClusterScanDeps): Promise<CommandResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await run();
      deps.onCommand?.({ clusterId: cluster.id, batch, attempt, outcome: 'done' });
      return r;
    } catch (e) {
      const f = failureFromError(e, `cluster ${cluster.name}`);
      deps.onCommand?.({ clusterId: cluster.id, batch, attempt, outcome: f.reason });
      if (f.reason !== 'command-not-started' || attempt >= 2) throw e;
    }
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join(' | ').slice(0, 600);
}

async function clusterToken(deps: ClusterScanDeps, signal: AbortSignal): Promise<string> {
  try {
    const t = await deps.arm.credential.getToken(AKS_SERVER_SCOPE, { abortSignal: signal });
    if (t?.token) return t.token;
  } catch (e) {
    throw new ScanError('missing-cluster-token', `no token for the AKS server application (${errorLine(e)})`);
  }
  throw new ScanError('missing-cluster-token', 'the credential returned no token for the AKS server application');
}

async function runPlan(
  cluster: ClusterRef,
  scanSeed: string,
  deps: ClusterScanDeps,
  opts: ClusterScanOptions,
  signal: AbortSignal,
): Promise<{ benchmark: string; outcome: ClusterOutcome }> {
  const plan = planClusterScan(cluster, scanSeed, opts);
  if (plan.imageProblem) throw new ScanError('bad-setting', plan.imageProblem);
  const client = deps.arm.containerService(cluster.subscriptionId);
  const nodes: ScannedNode[] = [];
  const nodeFailures: NodeFailure[] = [];
  let readyUnits = 0;
  const groups = new Set<string>();
  const token = cluster.aadManaged ? await clusterToken(deps, signal) : undefined;

  // Batches of a large cluster run side by side (each in its own namespace), a few at a time, so
  // `--nodes all` on hundreds of nodes fits the cluster's deadline.
  const batch = pLimit(PARALLEL_BATCHES);
  await Promise.all(
    plan.commands.map((env) =>
      batch(async () => {
        const body = buildRunCommandRequest(env, token ? { clusterToken: token } : {});
        const result = await runWithRetry(
          cluster,
          env.batchIndex,
          () => runClusterCommand(client, cluster, body, opts.timing, signal, deps.wait ?? sleep),
          deps,
        );
        if (result.exitCode !== 0) {
          // The script died on something cluster-wide: an admission policy refusing its namespace
          // reads "Forbidden" like RBAC does, so it is asked first.
          const admission = admissionDenial(result.logs);
          if (admission) {
            const f = admissionFailure('the scan namespace or its Jobs were', admission);
            throw new ScanError(f.reason, f.detail);
          }
          const denied = kubernetesForbidden(result.logs);
          if (denied) throw new ScanError('forbidden', `Kubernetes RBAC: ${denied}`);
        }
        let parsed;
        try {
          const input = `run-command output of ${cluster.name}`;
          parsed = acceptPlannedNodes(parseKubeBenchLog(result.logs, input), { maxNodes: env.batchSize }, input);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          if (e instanceof LimitError) throw new ScanError('over-limit', e.problem);
          const why = result.exitCode !== 0 ? `the command exited ${result.exitCode}: ${lastLines(result.logs, 3)}` : e.problem;
          throw new ScanError(result.exitCode !== 0 ? 'command-failed' : 'unparseable-output', why);
        }
        for (const n of parsed.nodes) {
          nodes.push({
            name: n.node ?? 'unknown',
            pool: n.pool,
            benchmark: n.benchmark ?? plan.benchmark,
            totals: n.totals,
            checks: n.checks,
            warnings: n.warnings,
          });
        }
        nodeFailures.push(...parsed.failures);
        if (result.exitCode !== 0) {
          // The script stopped early (killed, or lost its API connection) after printing some results: say so.
          nodeFailures.push({
            node: '(run-command)',
            pool: null,
            status: 'exit-code',
            detail: `the command exited ${result.exitCode} after printing ${parsed.nodes.length} node result(s): ${lastLines(result.logs, 2)}`,
          });
        }
        // The script says which node groups the cluster has and how many of them (per-pool) or of
        // its nodes (all) this batch picked.
        const groupLine = /\[aksfs\] groups: ([^\n]*)/.exec(result.logs);
        for (const g of (groupLine?.[1] ?? '').split(',').filter(Boolean)) groups.add(g);
        const m = /\[aksfs\] batch (\d+): (\d+) of (\d+) Ready Linux (?:nodes|groups)/.exec(result.logs);
        if (m) {
          const picked = Number(m[2]);
          readyUnits = Math.max(readyUnits, Number(m[3]));
          const answered = parsed.nodes.length + parsed.failures.filter((f) => f.node !== '-').length;
          if (answered < picked) {
            nodeFailures.push({
              node: `(batch ${env.batchIndex})`,
              pool: null,
              status: 'missing',
              detail: `${picked - answered} of the ${picked} nodes of batch ${env.batchIndex} gave no result and no status`,
            });
          }
        }
      }),
    ),
  );
  const first = plan.commands[0];
  const covered = plan.commands.length * (first?.batchSize ?? 0);
  if (readyUnits > covered) {
    // Nodes or node groups the plan did not count (the autoscaler, Karpenter node pools): say so.
    const unit = first?.selection === 'per-pool' ? 'node groups' : 'Ready Linux nodes';
    nodeFailures.push({
      node: '(not covered)',
      pool: null,
      status: 'missing',
      detail: `${readyUnits - covered} of ${readyUnits} ${unit} were beyond the ${plan.commands.length} batch(es) planned from ARM's pools; the next scan covers them`,
    });
  }
  if (first?.selection === 'per-pool' && readyUnits <= covered) {
    // Each node group the cluster has, and each ARM pool, must answer: a result or a status line.
    for (const pool of new Set([...groups, ...plan.linuxPools])) {
      if (!nodes.some((n) => n.pool === pool) && !nodeFailures.some((f) => f.pool === pool)) {
        nodeFailures.push({ node: `(pool ${pool})`, pool, status: 'missing', detail: `no result and no status for node group ${pool} in the command output` });
      }
    }
  }
  // Batches finish in any order; results are stored in a stable one.
  nodes.sort((x, y) => x.name.localeCompare(y.name));
  nodeFailures.sort((x, y) => x.node.localeCompare(y.node));
  if (nodes.length === 0) {
    // A node's own status says more than the gaps derived from it ("missing", "exit-code").
    const first = nodeFailures.find((f) => f.status !== 'missing' && f.status !== 'exit-code') ?? nodeFailures[0];
    if (!first) throw new ScanError('unparseable-output', 'the command output held no node result');
    const reason = failureFromNodeStatus(first.status);
    // Name the policy that denied our Jobs, as for a denial of the command itself.
    const denial = reason === 'admission-denied' ? admissionDenial(first.detail) : null;
    const detail = denial ? admissionFailure('the kube-bench Job was', denial).detail : first.detail;
    throw new ScanError(reason, `${first.node}: ${detail}${reason === 'image-pull' ? ` (${IMAGE_PULL_FIX})` : ''}`);
  }
  return { benchmark: plan.benchmark, outcome: { kind: 'scanned', nodes, nodeFailures } };
}

export async function scanCluster(
  cluster: ClusterRef,
  scanSeed: string,
  deps: ClusterScanDeps,
  opts: ClusterScanOptions,
  outer?: AbortSignal,
): Promise<ClusterScan> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const skip = skipDecision(cluster, opts.filter);
  const planned = planClusterScan(cluster, scanSeed, opts).benchmark;
  if (skip) {
    return { cluster, benchmark: planned, outcome: { kind: 'skipped', reason: skip.reason, detail: skip.detail }, startedAt, finishedAt: now().toISOString() };
  }
  const deadline = AbortSignal.timeout(opts.deadlineMs);
  const signal = outer ? AbortSignal.any([deadline, outer]) : deadline;
  let outcome: ClusterOutcome;
  let benchmark: string = planned;
  try {
    const r = await runPlan(cluster, scanSeed, deps, opts, signal);
    outcome = r.outcome;
    benchmark = r.benchmark;
  } catch (e) {
    const f = deadline.aborted
      ? { reason: 'timeout' as const, detail: `not done within the cluster deadline of ${Math.round(opts.deadlineMs / 1000)} s` }
      : failureFromError(e, `cluster ${cluster.name}`);
    outcome = { kind: 'failed', reason: f.reason, detail: f.detail };
  }
  return { cluster, benchmark, outcome, startedAt, finishedAt: now().toISOString() };
}
