/** GET /summary, /clusters, /clusters/{sub}/{rg}/{name}[/history | /nodes/{node}] and /checks/{topicOrId}. */
import { entryByTopic, resolveEntry, triageCheck } from '../knowledge/index.js';
import { GUID } from '../model/ids.js';
import { compareClusters, filterFleet } from '../report/fleet-filter.js';
import { knowledgeBaseTopics } from '../report/fleet-knowledge.js';
import { TRIAGE_KEYS } from '../report/fleet-schema.js';
import { summariseFleet } from '../report/summary.js';
import type { ClusterDigest, ClusterSummary, StoredClusterScan, SummaryFilter } from '../store/types.js';
import { badRequest, csv, json, notFound } from './respond.js';
import {
  CHECK_ID,
  CLUSTER_NAME,
  RESOURCE_GROUP,
  TOPIC,
  checkQuery,
  clusterQuery,
  clustersQuery,
  decodePageToken,
  encodePageToken,
  historyQuery,
  parseQuery,
  summaryQuery,
  wantsCsv,
  type Filters,
} from './query.js';
import type { CheckFailing, ClusterDetail, ClusterList, History } from './schemas.js';
import { CLUSTER_CSV_HEADER, clusterCsvRow } from './csv-rows.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './types.js';
import { clusterIdOf, clusterItem, poolViews, scanHeader } from './views.js';

const DEFAULT_PAGE = 50;
/** The largest page `top` allows; a whole export is read in pages of this size. */
const MAX_PAGE = 100;
const DEFAULT_HISTORY = 100;

/** The fleet's per-cluster entities under the filters: the store's query for what it can filter, memory for the rest. */
export async function loadFleet(deps: ApiDeps, f: Filters): Promise<ClusterSummary[]> {
  const storeFilter: SummaryFilter = {};
  if (f.subscription !== undefined) storeFilter.subscriptionId = f.subscription;
  if (f.resourceGroup !== undefined) storeFilter.resourceGroup = f.resourceGroup;
  if (f.benchmark !== undefined) storeFilter.benchmark = f.benchmark;
  const all = await deps.store.listClusterSummaries(storeFilter);
  return filterFleet(all, {
    ...(f.disposition !== undefined ? { disposition: f.disposition } : {}),
    ...(f.tag !== undefined ? { tag: f.tag } : {}),
    ...(f.kubernetesVersion !== undefined ? { kubernetesVersion: f.kubernetesVersion } : {}),
  });
}

/** The fleet digest under the filters, with every key of the fleet (for reading a page whole). */
interface DigestView {
  kept: ClusterDigest[];
  keys: string[];
}

/**
 * The fleet digest under the filters: one query, whatever the fleet's size. Null for a tag filter:
 * tags are not in the digest (up to 16,000 characters a cluster), so that filter reads the fleet partition.
 */
async function loadDigest(deps: ApiDeps, f: Filters): Promise<DigestView | null> {
  if (f.tag !== undefined) return null;
  const all = await deps.store.listClusterDigests();
  const sub = f.subscription?.toLowerCase();
  const rg = f.resourceGroup?.toLowerCase();
  // The same matches as the store's query in loadFleet: lower-cased ids, the results' benchmark.
  const matched = all.filter(
    (d) =>
      (sub === undefined || d.subscriptionId.toLowerCase() === sub) &&
      (rg === undefined || d.resourceGroup.toLowerCase() === rg) &&
      (f.benchmark === undefined || d.results?.benchmark === f.benchmark),
  );
  const kept = filterFleet(matched, {
    ...(f.disposition !== undefined ? { disposition: f.disposition } : {}),
    ...(f.kubernetesVersion !== undefined ? { kubernetesVersion: f.kubernetesVersion } : {}),
  });
  return { kept, keys: all.map((d) => d.key) };
}

export async function getSummary(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const q = parseQuery(summaryQuery, req.query);
  const asCsv = wantsCsv(q.format, req.headers);
  if (q.rows !== undefined && !asCsv) throw badRequest('query parameter "rows" applies to CSV only; add format=csv');
  const fleet = (await loadDigest(deps, q))?.kept ?? (await loadFleet(deps, q));
  const s = summariseFleet(fleet, {
    now: deps.now(),
    schedulePeriodMs: deps.schedulePeriodMs,
    top: q.top ?? 10,
    ...(q.disposition ? { disposition: q.disposition } : {}),
  });
  if (!asCsv) return json(200, s);
  if (q.rows === 'subscriptions') {
    return csv(
      'summary-subscriptions',
      [
        'subscriptionId',
        'clusters',
        'scanned',
        'skipped',
        'failed',
        'stale',
        'withResults',
        'pass',
        'fail',
        'warn',
        'info',
        'yoursToFix',
        'notYours',
        'lastScan',
      ],
      s.subscriptions.map((r) => [
        r.subscriptionId,
        r.clusters,
        r.scanned,
        r.skipped,
        r.failed,
        r.stale,
        r.withResults,
        r.checks.pass,
        r.checks.fail,
        r.checks.warn,
        r.checks.info,
        r.yoursToFix,
        r.notYours,
        r.lastScan,
      ]),
    );
  }
  return csv(
    'summary-topics',
    ['topic', 'title', 'disposition', 'clusters', 'share'],
    s.topFailing.map((t) => [t.topic, t.title, t.disposition, t.clusters, t.share]),
  );
}

export async function listClusters(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const q = parseQuery(clustersQuery, req.query);
  if (q.skip !== undefined && q.page !== undefined) throw badRequest('query parameters "skip" and "page" cannot be combined; page already holds the position');
  const top = q.top ?? DEFAULT_PAGE;
  const offset = q.page !== undefined ? decodePageToken(q.page, q) : (q.skip ?? 0);
  const digest = await loadDigest(deps, q);
  let total: number;
  let page: ClusterSummary[];
  if (digest) {
    // Sorted and counted from the digest; only the page is read whole, by key range (one query for a page in key order).
    const sorted = digest.kept.sort(compareClusters);
    total = sorted.length;
    page = await deps.store.getClusterSummaries(
      sorted.slice(offset, offset + top).map((d) => d.key),
      digest.keys,
    );
  } else {
    const fleet = (await loadFleet(deps, q)).sort(compareClusters);
    total = fleet.length;
    page = fleet.slice(offset, offset + top);
  }
  const now = deps.now();
  const items = page.map((s) => clusterItem(s, now, deps.schedulePeriodMs));
  if (wantsCsv(q.format, req.headers)) return csv('clusters', CLUSTER_CSV_HEADER, items.map(clusterCsvRow));
  const body: ClusterList = {
    items,
    total,
    top,
    skip: offset,
    nextPage: offset + top < total ? encodePageToken(offset + top, q) : null,
  };
  return json(200, body);
}

export interface ClusterPath {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  id: string;
  label: string;
}

export function clusterPath(params: Record<string, string>): ClusterPath {
  const subscriptionId = params['subscriptionId'] ?? '';
  const resourceGroup = params['resourceGroup'] ?? '';
  const name = params['name'] ?? '';
  if (!GUID.test(subscriptionId)) throw badRequest(`path segment subscriptionId "${subscriptionId.slice(0, 60)}" is not a subscription id (a GUID)`);
  if (!RESOURCE_GROUP.test(resourceGroup)) throw badRequest(`path segment resourceGroup "${resourceGroup.slice(0, 100)}" is not a resource group name`);
  if (!CLUSTER_NAME.test(name)) throw badRequest(`path segment name "${name.slice(0, 70)}" is not an AKS cluster name (1-63 letters, digits, _ and -)`);
  return {
    subscriptionId,
    resourceGroup,
    name,
    id: clusterIdOf(subscriptionId, resourceGroup, name),
    label: `cluster "${name}" in resource group "${resourceGroup}" of subscription ${subscriptionId}`,
  };
}

export async function getCluster(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  const q = parseQuery(clusterQuery, req.query);
  const c = clusterPath(params);
  const scan = q.scan !== undefined ? await deps.store.getClusterScan(c.id, q.scan) : await deps.store.getClusterLatest(c.id);
  if (!scan)
    throw notFound(q.scan !== undefined ? `scan "${q.scan}" of ${c.label} is not known` : `${c.label} is not known (never scanned, or not in this fleet)`);
  let results: StoredClusterScan | null = scan.outcome.kind === 'scanned' ? scan : null;
  // The fleet entity names the latest results (rScanId) however many attempts failed since: one point read, no history search.
  if (!results && q.scan === undefined) results = await deps.store.getClusterLatestResults(c.id);
  const pools = results ? poolViews(results) : [];
  if (wantsCsv(q.format, req.headers)) {
    const rows = pools.flatMap((p) =>
      p.checks.map((k) => [
        p.pool,
        k.id,
        k.benchmark,
        k.section,
        k.title,
        k.status,
        k.counts.pass,
        k.counts.fail,
        k.counts.warn,
        k.counts.info,
        k.failingNodes.join(' '),
        k.topic,
        k.disposition,
        k.whatToDo,
      ]),
    );
    return csv(
      `${c.name}-${results?.scanId ?? 'no-results'}`,
      ['pool', 'checkId', 'benchmark', 'section', 'title', 'status', 'pass', 'fail', 'warn', 'info', 'failingNodes', 'topic', 'disposition', 'whatToDo'],
      rows,
    );
  }
  const body: ClusterDetail = {
    cluster: scan.cluster,
    scan: scanHeader(scan),
    results: results ? { scanId: results.scanId, finishedAt: scanHeader(results).finishedAt, pools, nodeFailures: results.nodeFailureList } : null,
  };
  return json(200, body);
}

export async function getClusterHistory(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  const q = parseQuery(historyQuery, req.query);
  const c = clusterPath(params);
  const history = await deps.store.getClusterHistory(c.id, q.top ?? DEFAULT_HISTORY);
  if (history.length === 0) throw notFound(`${c.label} has no scans`);
  const items = history.map(scanHeader);
  if (wantsCsv(q.format, req.headers)) {
    return csv(
      `${c.name}-history`,
      ['scanId', 'runId', 'benchmark', 'startedAt', 'finishedAt', 'outcome', 'reason', 'pass', 'fail', 'warn', 'info', 'nodes', 'nodeFailures', ...TRIAGE_KEYS],
      items.map((h) => [
        h.scanId,
        h.runId,
        h.benchmark,
        h.startedAt,
        h.finishedAt,
        h.outcome.kind,
        h.outcome.kind === 'scanned' ? null : h.outcome.reason,
        h.totals.pass,
        h.totals.fail,
        h.totals.warn,
        h.totals.info,
        h.nodes,
        h.nodeFailures,
        ...TRIAGE_KEYS.map((k) => h.triage[k] ?? 0),
      ]),
    );
  }
  const body: History = {
    cluster: { id: history[0]?.clusterId ?? c.id, subscriptionId: c.subscriptionId, resourceGroup: c.resourceGroup, name: c.name },
    items,
  };
  return json(200, body);
}

/** A failing cluster as a list names it: a whole summary, a digest record, or a row of a topic's aggregate. */
type FailingRef = Pick<ClusterSummary, 'clusterId' | 'subscriptionId' | 'resourceGroup' | 'name'>;

/** Which clusters fail, and how to read a page of them whole. */
interface FailingList {
  refs: FailingRef[];
  read(page: FailingRef[]): Promise<ClusterSummary[]>;
  /** For a topic: the pools where it fails, per cluster id of the page; the cluster's pools can be more. */
  failingPools?(page: FailingRef[]): Promise<Record<string, string[]>>;
}

const present = <T>(x: T | null | undefined): x is T => x !== null && x !== undefined;

/** Summaries already whole. */
function wholeList(summaries: ClusterSummary[]): FailingList {
  const byRef = new Map<FailingRef, ClusterSummary>(summaries.map((s) => [s, s]));
  return { refs: summaries, read: async (page) => page.map((r) => byRef.get(r)).filter(present) };
}

/**
 * Clusters failing a topic. The digest answers in one query and a page is read by key range; a
 * digest whose topic list was cut to fit (a cluster failing thousands of topics) cannot say, and
 * the topic's aggregate partition answers instead, a page by point reads.
 */
async function topicList(deps: ApiDeps, topic: string): Promise<FailingList> {
  const digest = await deps.store.listClusterDigests();
  if (!digest.some((d) => d.results?.failingTruncated)) {
    const failing = digest.filter((d) => d.results?.failingTopics.includes(topic));
    const keyOf = new Map<FailingRef, string>(failing.map((d) => [d, d.key]));
    const known = digest.map((d) => d.key);
    const failingKeys = failing.map((d) => d.key);
    return {
      refs: failing,
      read: (page) => deps.store.getClusterSummaries(page.map((r) => keyOf.get(r)).filter(present), known),
      failingPools: async (page) => {
        // The topic's aggregate is keyed like the fleet: its rows are exactly the failing clusters.
        const rows = await deps.store.getTopicFailures(topic, page.map((r) => keyOf.get(r)).filter(present), failingKeys);
        return Object.fromEntries(rows.map((r) => [r.clusterId, r.pools]));
      },
    };
  }
  const rows = await deps.store.listTopicFailures(topic);
  const poolsOf = new Map<FailingRef, string[]>(rows.map((r) => [r, r.pools]));
  return {
    refs: rows,
    read: async (page) => (await Promise.all(page.map((r) => deps.store.getClusterSummary(r.clusterId)))).filter(present),
    failingPools: async (page) => Object.fromEntries(page.map((r) => [r.clusterId, poolsOf.get(r) ?? []])),
  };
}

export async function getCheck(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  const q = parseQuery(checkQuery, req.query);
  const key = params['topicOrId'] ?? '';
  if (q.skip !== undefined && q.page !== undefined) throw badRequest('query parameters "skip" and "page" cannot be combined; page already holds the position');
  const scope = `checks/${key}`;
  const offset = q.page !== undefined ? decodePageToken(q.page, q, scope) : (q.skip ?? 0);
  const top = q.top ?? DEFAULT_PAGE;
  const benchmark = q.benchmark ?? null;
  let body: Pick<CheckFailing, 'query' | 'entry' | 'disposition'>;
  let failing: FailingList;
  // Ids first: a check id such as 3.2.4 also has the shape of a topic.
  if (CHECK_ID.test(key)) {
    if (benchmark === null)
      throw badRequest(`query parameter "benchmark" is required with a check id ("${key}"): check ids differ between benchmarks, e.g. ?benchmark=aks-1.8`);
    const entry = resolveEntry({ id: key, benchmark, title: '' });
    failing = wholeList(await deps.store.listClustersFailing({ check: `${benchmark}:${key}` }));
    if (!entry && failing.refs.length === 0) throw notFound(`check ${key} of benchmark ${benchmark} is not in the knowledge base and no cluster fails it`);
    body = { query: { topic: null, checkId: key, benchmark }, entry, disposition: triageCheck({ id: key, benchmark, title: '' })?.disposition ?? null };
  } else if (TOPIC.test(key)) {
    const entry = entryByTopic(key);
    if (!entry) throw notFound(`topic "${key}" is not in the knowledge base`);
    // Only the page's clusters are read whole, below.
    failing = await topicList(deps, entry.topic);
    body = {
      query: { topic: key, checkId: null, benchmark },
      entry,
      disposition: knowledgeBaseTopics().topic(entry.topic, benchmark)?.disposition ?? entry.disposition,
    };
  } else {
    throw badRequest(
      `path segment topicOrId "${key.slice(0, 80)}" is neither a knowledge-base topic (e.g. kubelet.read-only-port) nor a check id (e.g. 3.2.4)`,
    );
  }
  // The failing list is one read; narrowing it here builds no query from the values.
  const sub = q.subscription?.toLowerCase();
  const rg = q.resourceGroup?.toLowerCase();
  const kept = failing.refs
    .filter((s) => (sub === undefined || s.subscriptionId.toLowerCase() === sub) && (rg === undefined || s.resourceGroup.toLowerCase() === rg))
    .sort(compareClusters);
  const now = deps.now();
  const asCsv = wantsCsv(q.format, req.headers);
  // An export asked for without a page position is the whole list ("who fails X" for a ticket or a
  // spreadsheet), read a page's worth of clusters at a time.
  const exportAll = asCsv && q.top === undefined && q.page === undefined && q.skip === undefined;
  const chosen = exportAll ? kept : kept.slice(offset, offset + top);
  const summaries: ClusterSummary[] = [];
  let pools: Record<string, string[]> | null = failing.failingPools ? {} : null;
  for (let i = 0; i < chosen.length; i += MAX_PAGE) {
    const part = chosen.slice(i, i + MAX_PAGE);
    const [read, partPools] = await Promise.all([failing.read(part), failing.failingPools?.(part)]);
    summaries.push(...read);
    if (pools && partPools) pools = { ...pools, ...partPools };
  }
  const clusters = summaries.map((s) => clusterItem(s, now, deps.schedulePeriodMs));
  if (asCsv) {
    const name = body.query.topic ?? `${body.query.benchmark ?? ''}-${body.query.checkId ?? ''}`;
    if (!pools) return csv(`failing-${name}`, CLUSTER_CSV_HEADER, clusters.map(clusterCsvRow));
    const failingIn = pools;
    return csv(
      `failing-${name}`,
      [...CLUSTER_CSV_HEADER, 'failingPools'],
      clusters.map((c) => [...clusterCsvRow(c), (failingIn[c.id] ?? []).join(' ')]),
    );
  }
  const page: CheckFailing = {
    ...body,
    clusters,
    failingPools: pools,
    total: kept.length,
    top,
    skip: offset,
    nextPage: offset + top < kept.length ? encodePageToken(offset + top, q, scope) : null,
  };
  return json(200, page);
}
