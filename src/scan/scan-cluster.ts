/** Scans one cluster: skip decision, plan, run-commands, logs → per-node results. One outcome, always. */
import pLimit from 'p-limit';
import type { ArmClients } from '../azure/arm.js';
import { skipDecision } from '../discover/filters.js';
import type { ClusterFilter } from '../discover/filters.js';
import type { ClusterOutcome, ClusterRef, ClusterScan, ScannedNode } from '../model/cluster.js';
import { InputError } from '../model/errors.js';
import type { NodeFailure } from '../model/result.js';
import { acceptPlannedNodes, LimitError } from '../parse/limits.js';
import { parseKubeBenchLog } from '../parse/log.js';
import { buildRunCommandRequest } from './incluster/request.js';
import { failureFromCommandReason, failureFromError, failureFromNodeStatus, kubernetesForbidden, ScanError } from './failure.js';
import type { PlanOptions } from './plan.js';
import { planClusterScan } from './plan.js';
import type { PollTiming, Sleep } from './run-command.js';
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

export interface ClusterScanDeps {
  arm: ArmClients;
  wait?: Sleep;
  now?: () => Date;
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join(' | ').slice(0, 600);
}

async function clusterToken(deps: ClusterScanDeps, signal: AbortSignal): Promise<string> {
  try {
    const t = await deps.arm.credential.getToken(AKS_SERVER_SCOPE, { abortSignal: signal });
    if (t?.token) return t.token;
  } catch (e) {
    throw new ScanError('missing-cluster-token', `no token for the AKS server application (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
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
  const client = deps.arm.containerService(cluster.subscriptionId);
  const nodes: ScannedNode[] = [];
  const nodeFailures: NodeFailure[] = [];
  let readyNodes = 0;
  const token = cluster.aadManaged ? await clusterToken(deps, signal) : undefined;

  // Batches of a large cluster run side by side (each in its own namespace), a few at a time, so
  // `--nodes all` on hundreds of nodes fits the cluster's deadline.
  const batch = pLimit(PARALLEL_BATCHES);
  await Promise.all(
    plan.commands.map((env) =>
      batch(async () => {
        const body = buildRunCommandRequest(env, token ? { clusterToken: token } : {});
        const result = await runClusterCommand(client, cluster, body, opts.timing, signal, deps.wait ?? sleep);
        if (result.exitCode !== 0) {
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
        if (env.selection === 'all') {
          // The script says how many Ready nodes it picked for this batch and how many there are.
          const m = /\[aksfs\] batch (\d+): (\d+) of (\d+) Ready Linux nodes/.exec(result.logs);
          if (m) {
            const picked = Number(m[2]);
            readyNodes = Math.max(readyNodes, Number(m[3]));
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
        }
        if (env.selection === 'per-pool') {
          // Each pool asked for must answer: a result or a status line. Silence is a failure too.
          for (const pool of env.pools) {
            if (!parsed.nodes.some((n) => n.pool === pool) && !parsed.failures.some((f) => f.pool === pool)) {
              nodeFailures.push({ node: `(pool ${pool})`, pool, status: 'missing', detail: `no result and no status for pool ${pool} in the command output` });
            }
          }
        }
      }),
    ),
  );
  const covered = plan.commands.length * (plan.commands[0]?.batchSize ?? 0);
  if (plan.commands[0]?.selection === 'all' && readyNodes > covered) {
    // Nodes added after ARM was read (the autoscaler) fall beyond the last batch: say so, do not drop them silently.
    nodeFailures.push({
      node: '(not covered)',
      pool: null,
      status: 'missing',
      detail: `${readyNodes - covered} of ${readyNodes} Ready Linux nodes were beyond the ${plan.commands.length} batch(es) planned from ARM's node counts; the next scan covers them`,
    });
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
    const detail = reason === 'admission-denied' ? failureFromCommandReason(first.detail).detail : first.detail;
    throw new ScanError(reason, `${first.node}: ${detail}`);
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
