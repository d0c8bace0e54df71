/** A cluster's batch outputs → its outcome: per-node results, node failures, and what no batch covered. */
import type { ClusterOutcome, ScannedNode } from '../../model/cluster.js';
import { InputError } from '../../model/errors.js';
import type { NodeFailure } from '../../model/result.js';
import { acceptPlannedNodes, LimitError } from '../../parse/limits.js';
import { parseKubeBenchLog } from '../../parse/log.js';
import type { ScanEnv } from '../incluster/contract.js';
import { admissionDenial, admissionFailure, failureFromNodeStatus, IMAGE_PULL_FIX, kubernetesForbidden, ScanError } from '../failure.js';
import type { ScanPlan } from '../plan.js';
import type { CommandResult } from '../run-command.js';

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join(' | ').slice(0, 600);
}

/** What one batch's output adds; throws a ScanError when the output fails the whole cluster. */
export interface BatchPart {
  nodes: ScannedNode[];
  nodeFailures: NodeFailure[];
  groups: string[];
  readyUnits: number;
}

export function parseBatch(clusterName: string, env: ScanEnv, benchmark: string, result: CommandResult): BatchPart {
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
    const input = `run-command output of ${clusterName}`;
    parsed = acceptPlannedNodes(parseKubeBenchLog(result.logs, input), { maxNodes: env.batchSize }, input);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    if (e instanceof LimitError) throw new ScanError('over-limit', e.problem);
    const why = result.exitCode !== 0 ? `the command exited ${result.exitCode}: ${lastLines(result.logs, 3)}` : e.problem;
    throw new ScanError(result.exitCode !== 0 ? 'command-failed' : 'unparseable-output', why);
  }
  const part: BatchPart = { nodes: [], nodeFailures: [...parsed.failures], groups: [], readyUnits: 0 };
  for (const n of parsed.nodes) {
    part.nodes.push({ name: n.node ?? 'unknown', pool: n.pool, benchmark: n.benchmark ?? benchmark, totals: n.totals, checks: n.checks, warnings: n.warnings });
  }
  if (result.exitCode !== 0) {
    // The script stopped early (killed, or lost its API connection) after printing some results: say so.
    part.nodeFailures.push({
      node: '(run-command)',
      pool: null,
      status: 'exit-code',
      detail: `the command exited ${result.exitCode} after printing ${parsed.nodes.length} node result(s): ${lastLines(result.logs, 2)}`,
    });
  }
  // The script says which node groups the cluster has and how many of them (per-pool) or of its
  // nodes (all) this batch picked.
  const groupLine = /\[aksfs\] groups: ([^\n]*)/.exec(result.logs);
  part.groups = (groupLine?.[1] ?? '').split(',').filter(Boolean);
  const m = /\[aksfs\] batch (\d+): (\d+) of (\d+) Ready Linux (?:nodes|groups)/.exec(result.logs);
  if (m) {
    const picked = Number(m[2]);
    part.readyUnits = Number(m[3]);
    const answered = parsed.nodes.length + parsed.failures.filter((f) => f.node !== '-').length;
    if (answered < picked) {
      part.nodeFailures.push({
        node: `(batch ${env.batchIndex})`,
        pool: null,
        status: 'missing',
        detail: `${picked - answered} of the ${picked} nodes of batch ${env.batchIndex} gave no result and no status`,
      });
    }
  }
  return part;
}

/** All batches' parts → the cluster's outcome; throws a ScanError when no node could be scanned. */
export function combineBatches(plan: ScanPlan, parts: readonly BatchPart[]): ClusterOutcome {
  const nodes = parts.flatMap((p) => p.nodes);
  const nodeFailures = parts.flatMap((p) => p.nodeFailures);
  const groups = new Set(parts.flatMap((p) => p.groups));
  const readyUnits = Math.max(0, ...parts.map((p) => p.readyUnits));
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
    const head = nodeFailures.find((f) => f.status !== 'missing' && f.status !== 'exit-code') ?? nodeFailures[0];
    if (!head) throw new ScanError('unparseable-output', 'the command output held no node result');
    const reason = failureFromNodeStatus(head.status);
    // Name the policy that denied our Jobs, as for a denial of the command itself.
    const denial = reason === 'admission-denied' ? admissionDenial(head.detail) : null;
    const detail = denial ? admissionFailure('the kube-bench Job was', denial).detail : head.detail;
    throw new ScanError(reason, `${head.node}: ${detail}${reason === 'image-pull' ? ` (${IMAGE_PULL_FIX})` : ''}`);
  }
  return { kind: 'scanned', nodes, nodeFailures };
}
