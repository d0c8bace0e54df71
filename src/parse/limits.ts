/**
 * Limits on what a cluster sends. A run-command log is written by the cluster, whose owner we
 * audit: it may be crafted. Each limit is enforced where the input enters (the envelope decoder,
 * the JSON normaliser, the log reader) and what exceeds one never becomes a scanned result: it ends
 * as a node failure (`over-limit`, or `not-in-plan`) or fails the cluster with reason `over-limit`.
 * README "Input limits" lists them; keep the two in step.
 */
import { InputError } from '../model/errors.js';
import type { NodeFailure, NodeResult, ParsedInput } from '../model/result.js';
import type { ParsedLog } from './log.js';

export { MAX_ENVELOPE_PAYLOAD_BYTES, MAX_LOG_PAYLOAD_BYTES } from '../model/envelope.js';

/**
 * Check results kept per node. The largest AKS benchmark (aks-1.0) has 54 checks and a full
 * generic cis-1.x run about 250; a node result is stored, rendered and sent whole, so a crafted
 * one with a million checks must stop here (it once showed 1,500,001 FAILs in the fleet summary).
 */
export const MAX_CHECKS_PER_NODE = 1000;

/** Warnings kept per node: each names one oddity of the input; a crafted input could make millions. */
export const MAX_WARNINGS_PER_NODE = 20;

/** NodeFailure statuses of the limits. */
export const OVER_LIMIT = 'over-limit';
export const NOT_IN_PLAN = 'not-in-plan';

/** An input that is well formed but exceeds a limit: the node (or cluster) fails with `over-limit`. */
export class LimitError extends InputError {}

/** Collects warnings up to MAX_WARNINGS_PER_NODE and counts the rest. */
export class Warnings {
  readonly list: string[] = [];
  private dropped = 0;
  push(w: string): void {
    if (this.list.length < MAX_WARNINGS_PER_NODE) this.list.push(w);
    else this.dropped++;
  }
  done(): string[] {
    return this.dropped ? [...this.list, `${this.dropped} more warning(s) not kept`] : this.list;
  }
}

/** One result per check id, and at most MAX_CHECKS_PER_NODE of them. */
export function checkNodeLimits(result: NodeResult, input: string): void {
  if (result.checks.length > MAX_CHECKS_PER_NODE) {
    throw new LimitError(input, `has ${result.checks.length} check results, over the limit of ${MAX_CHECKS_PER_NODE} per node (MAX_CHECKS_PER_NODE)`);
  }
  const seen = new Set<string>();
  for (const c of result.checks) {
    const key = `${c.nodeType ?? ''}\u0000${c.id}`;
    if (seen.has(key)) throw new LimitError(input, `reports check ${c.id.slice(0, 40)} more than once; one result per check id is accepted`);
    seen.add(key);
  }
}

export interface CommandLimits {
  /** The command's batch size: no command scans more nodes than this. */
  maxNodes: number;
}

/**
 * Holds a command's output to its plan. The script prints the nodes it chose (its PLAN line); a
 * result for any other node, a second result for one node, or more nodes than the batch size is
 * the cluster's doing, never ours, and never stored as scanned. More nodes than the batch size,
 * or results without any plan, fail the whole command (LimitError / InputError); other strays
 * become node failures, summarised so a flood of them stays one line.
 */
export function acceptPlannedNodes(parsed: ParsedLog, limits: CommandLimits, input: string): ParsedInput {
  const named = parsed.failures.filter((f) => f.node !== '-');
  const answered = parsed.nodes.length + named.length;
  if (answered > limits.maxNodes) {
    throw new LimitError(input, `holds ${answered} node results and statuses, more than the ${limits.maxNodes} nodes one command scans (its batch size)`);
  }
  if (parsed.plan && parsed.plan.length > limits.maxNodes) {
    throw new LimitError(input, `plans ${parsed.plan.length} nodes, more than the ${limits.maxNodes} nodes one command scans (its batch size)`);
  }
  if (parsed.plan === null) {
    if (answered > 0) throw new InputError(input, 'holds node results but no PLAN line naming the nodes the script chose');
    return { format: parsed.format, nodes: [], failures: parsed.failures.slice(0, limits.maxNodes), warnings: parsed.warnings };
  }
  const planned = new Set(parsed.plan);
  const count = new Map<string, number>();
  for (const n of [...parsed.nodes.map((x) => x.node ?? ''), ...named.map((f) => f.node)]) count.set(n, (count.get(n) ?? 0) + 1);
  const stray: string[] = [];
  const twice = new Set<string>();
  const ok = (node: string): boolean => {
    if (!planned.has(node)) stray.push(node);
    else if ((count.get(node) ?? 0) > 1) twice.add(node);
    else return true;
    return false;
  };
  const nodes = parsed.nodes.filter((n) => ok(n.node ?? ''));
  const failures: NodeFailure[] = [...parsed.failures.filter((f) => f.node === '-').slice(0, limits.maxNodes), ...named.filter((f) => ok(f.node))];
  for (const node of twice) {
    failures.push({ node, pool: null, status: OVER_LIMIT, detail: `node ${node} answered more than once in one command; none of its results were kept` });
  }
  if (stray.length > 0) {
    const shown = stray.slice(0, 5).map((n) => n.slice(0, 80) || '(unnamed)');
    failures.push({
      node: '(not in plan)',
      pool: null,
      status: NOT_IN_PLAN,
      detail: `${stray.length} result(s) for nodes the script did not plan were refused: ${shown.join(', ')}${stray.length > shown.length ? ', …' : ''}`,
    });
  }
  return { format: parsed.format, nodes, failures, warnings: parsed.warnings };
}
