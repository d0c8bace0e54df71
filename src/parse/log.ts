/**
 * Pod logs and run-command output → one result per node.
 *
 * `kubectl logs` merges kube-bench's stderr (glog lines such as "W0610 12:00:00.000000 ...",
 * "Warning: Kubernetes version was not auto-detected") into the JSON line's stream, and
 * run-command output adds our script's own lines around our envelopes. We read envelopes first;
 * outside them we look for a kube-bench JSON line, then for text check lines.
 */
import { InputError } from '../model/errors.js';
import { scanEnvelopes } from '../model/envelope.js';
import type { NodeFailure, NodeResult, ParsedInput } from '../model/result.js';
import { looksLikeKubeBench, normaliseKubeBench, parseJsonText } from './json.js';
import { checkNodeLimits, LimitError, OVER_LIMIT } from './limits.js';
import { isCheckLine, parseKubeBenchText } from './text.js';

/** A log's results, with the nodes its script planned (its PLAN line; null without one). */
export interface ParsedLog extends ParsedInput {
  plan: string[] | null;
}

export function parseKubeBenchLog(text: string, input: string): ParsedLog {
  const { records, outside, plan } = scanEnvelopes(text);
  const nodes: NodeResult[] = [];
  const failures: NodeFailure[] = [];
  const warnings: string[] = [];

  for (const r of records) {
    if (r.kind === 'status') {
      failures.push({ node: r.status.node, pool: r.status.pool, status: r.status.status, detail: r.status.reason });
    } else if (r.kind === 'broken') {
      failures.push({ node: r.meta.node, pool: r.meta.pool, status: r.problem, detail: r.detail });
    } else {
      const nodeInput = `${input} (node ${r.meta.node})`;
      try {
        const result =
          r.meta.format === 'text'
            ? parseKubeBenchText(r.payload, nodeInput)
            : normaliseKubeBench(parseJsonText(r.payload, nodeInput), nodeInput, { node: r.meta.node, pool: r.meta.pool });
        result.node = r.meta.node;
        result.pool = r.meta.pool;
        result.benchmark ??= r.meta.benchmark;
        checkNodeLimits(result, nodeInput);
        nodes.push(result);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        failures.push({ node: r.meta.node, pool: r.meta.pool, status: e instanceof LimitError ? OVER_LIMIT : 'corrupt', detail: e.problem });
      }
    }
  }

  if (records.length > 0) {
    if (nodes.length === 0 && failures.length === 0) throw new InputError(input, 'has envelope markers but no node result');
    return { format: 'log', nodes, failures, warnings, plan };
  }

  // No envelope: a plain kube-bench pod log.
  const jsonLines = outside.filter((l) => {
    const t = l.trimStart();
    return t.startsWith('{"Controls"') || t.startsWith('{ "Controls"') || t.startsWith('[{');
  });
  const noise = outside.filter((l) => l.trim() !== '').length - jsonLines.length;
  for (const line of jsonLines) {
    const doc = parseJsonText(line.trim(), input);
    if (!looksLikeKubeBench(doc)) continue;
    const node = normaliseKubeBench(doc, input);
    checkNodeLimits(node, input);
    nodes.push(node);
  }
  if (nodes.length > 0) {
    if (noise > 0) warnings.push(`${noise} log line(s) around the JSON were ignored (kube-bench stderr)`);
    return { format: 'log', nodes, failures, warnings, plan };
  }
  if (outside.some(isCheckLine)) {
    const node = parseKubeBenchText(outside.join('\n'), input);
    checkNodeLimits(node, input);
    return { format: 'log', nodes: [node], failures, warnings, plan };
  }
  throw new InputError(input, 'is a log with no kube-bench JSON line, envelope or check line in it');
}
