/**
 * GET /clusters/{sub}/{rg}/{name}/nodes/{node}: one node's full stored result (every check with its
 * expected and actual values and remediation), each check with the knowledge base's triage. The
 * cluster views show pool roll-ups; this is where a single node's evidence stays reachable for the
 * retention period.
 */
import { triageCheck } from '../knowledge/index.js';
import type { CheckResult } from '../model/result.js';
import { clusterPath } from './fleet-handlers.js';
import { NODE_NAME, NODE_PAGE_MAX, nodeQuery, parseQuery, wantsCsv } from './query.js';
import { badRequest, csv, json, notFound } from './respond.js';
import type { CheckTriage, NodeResult } from './schemas.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './types.js';

const NODE_CSV_HEADER = [
  'checkId',
  'benchmark',
  'section',
  'title',
  'assessment',
  'status',
  'scored',
  'kind',
  'nodeType',
  'expected',
  'actual',
  'actualTruncated',
  'remediation',
  'reason',
  'topic',
  'disposition',
  'responsibility',
  'whatToDo',
];

function triageOf(c: CheckResult): CheckTriage | null {
  const t = triageCheck({ id: c.id, benchmark: c.benchmark, title: c.title, actual: c.actual, nodeType: c.nodeType });
  if (!t) return null;
  // Named fields, not a spread: the response schema is strict and the knowledge base's Triage may grow.
  return {
    topic: t.topic,
    title: t.title,
    disposition: t.disposition,
    responsibility: t.responsibility,
    rationale: t.rationale,
    why: t.why,
    mitigation: t.mitigation,
    verify: t.verify,
    whatToDo: t.whatToDo,
    answers: t.answers,
    escalatedBy: t.escalatedBy,
    sources: t.sources,
  };
}

export async function getNode(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  const q = parseQuery(nodeQuery, req.query);
  const c = clusterPath(params);
  const node = params['node'] ?? '';
  if (!NODE_NAME.test(node))
    throw badRequest(`path segment node "${node.slice(0, 80)}" is not a Kubernetes node name (1-253 lower-case letters, digits, - and .)`);
  let scanId = q.scan;
  if (scanId === undefined) {
    const pointers = await deps.store.getClusterPointers(c.id);
    if (!pointers) throw notFound(`${c.label} is not known (never scanned, or not in this fleet)`);
    if (!pointers.resultsScanId) throw notFound(`${c.label} has no results: no attempt scanned it, so node "${node}" has none`);
    scanId = pointers.resultsScanId;
  }
  const stored = await deps.store.getNodeResult(c.id, scanId, node);
  if (!stored) {
    throw notFound(
      `node "${node}" has no result in scan "${scanId}" of ${c.label}${q.scan !== undefined ? ' (or the scan is not known)' : ''}; the cluster detail lists its nodes`,
    );
  }
  // One page: triage adds kilobytes per check, so a node's whole result is never built at once.
  const skip = q.skip ?? 0;
  const top = q.top ?? NODE_PAGE_MAX;
  const total = stored.checks.length;
  const checks = stored.checks.slice(skip, skip + top).map((k) => ({
    id: k.id,
    benchmark: k.benchmark,
    section: k.section,
    title: k.title,
    assessment: k.assessment,
    status: k.status,
    scored: k.scored,
    kind: k.kind,
    nodeType: k.nodeType,
    expected: k.expected,
    actual: k.actual,
    ...(k.actualTruncated !== undefined ? { actualTruncated: k.actualTruncated } : {}),
    remediation: k.remediation,
    reason: k.reason,
    triage: triageOf(k),
  }));
  if (wantsCsv(q.format, req.headers)) {
    return csv(
      `${c.name}-${node}-${scanId}`,
      NODE_CSV_HEADER,
      checks.map((k) => [
        k.id,
        k.benchmark,
        k.section,
        k.title,
        k.assessment,
        k.status,
        k.scored,
        k.kind,
        k.nodeType,
        k.expected,
        k.actual,
        k.actualTruncated ?? false,
        k.remediation,
        k.reason,
        k.triage?.topic,
        k.triage?.disposition,
        k.triage?.responsibility,
        k.triage?.whatToDo,
      ]),
    );
  }
  const body: NodeResult = {
    cluster: { id: c.id, subscriptionId: c.subscriptionId, resourceGroup: c.resourceGroup, name: c.name },
    scanId,
    node: { name: stored.name, pool: stored.pool, benchmark: stored.benchmark, totals: stored.totals, warnings: stored.warnings, checks },
    page: { skip, top, total, nextSkip: skip + top < total ? skip + top : null },
  };
  return json(200, body);
}
