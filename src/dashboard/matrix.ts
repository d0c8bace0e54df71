/**
 * The fleet heatmap: clusters × the fleet's top failing topics, one cell per pair, built from the
 * per-cluster summaries (their failing topics and checks), so it costs the one fleet read; a
 * cluster with a pool-scoped waiver in force also gets one row of cells per such pool, from the
 * topic aggregate's pools (one partition read per top topic those waivers can touch).
 */
import { applyWaivers, resolveEntry, scopeApplies, type Waiver } from '../knowledge/index.js';
import { isStale } from '../report/fleet-filter.js';
import type { TopicKnowledge } from '../report/fleet-knowledge.js';
import { YOURS, type TopFailing } from '../report/fleet-schema.js';
import type { ClusterSummary, TopicFailure } from '../store/types.js';
import { MATRIX_CELLS, type Matrix, type MatrixCell, type MatrixRow } from './schemas.js';

export interface MatrixOptions {
  now: Date;
  schedulePeriodMs: number;
  knowledge: TopicKnowledge;
  waivers: readonly Waiver[];
}

/** The topic aggregate's rows for the topics that pool-scoped waivers can touch, by topic. */
export type PoolFailures = ReadonlyMap<string, readonly TopicFailure[]>;

const CELL_SET: ReadonlySet<string> = new Set(MATRIX_CELLS);

/** A check reference as stored on the fleet entity ("aks-1.8:3.2.4"; "-" for no benchmark). */
function parseCheckRef(ref: string): { id: string; benchmark: string | null; title: string } {
  const at = ref.lastIndexOf(':');
  const bench = ref.slice(0, at);
  return { id: ref.slice(at + 1), benchmark: bench === '-' || bench === '' ? null : bench, title: '' };
}

const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Whether each failing check is waived, memoised: 2,000 clusters repeat a few hundred distinct
 * checks under a handful of waiver sets, and applyWaivers resolves the knowledge base per check.
 * The memo key is what applyWaivers' answer depends on: the waivers in scope, the Kubernetes
 * version (a default waiver does not hold where AKS did not yet set the value) and the check.
 */
class WaiverMemo {
  private readonly topics = new Map<string, string | null>();
  private readonly verdicts = new Map<string, boolean>();
  private readonly ids = new Map<Waiver, number>();

  constructor(
    private readonly waivers: readonly Waiver[],
    private readonly now: Date,
  ) {
    waivers.forEach((w, i) => this.ids.set(w, i));
  }

  topicOf(ref: string): string | null {
    let t = this.topics.get(ref);
    if (t === undefined) this.topics.set(ref, (t = resolveEntry(parseCheckRef(ref))?.topic ?? null));
    return t;
  }

  /** The waivers that hold for the whole cluster (pool undefined) or for one of its pools. */
  inScope(s: ClusterSummary, pool?: string): Waiver[] {
    const scope = { clusterId: s.clusterId, ...(s.subscriptionId ? { subscriptionId: s.subscriptionId } : {}), ...(pool !== undefined ? { pool } : {}) };
    return this.waivers.filter((w) => scopeApplies(w.scope, scope));
  }

  waived(refs: readonly string[], inScope: readonly Waiver[], s: ClusterSummary): boolean[] {
    if (inScope.length === 0) return refs.map(() => false);
    const set = `${inScope.map((w) => this.ids.get(w)).join(',')}|${s.kubernetesVersion}|`;
    const missing = refs.filter((r) => !this.verdicts.has(set + r));
    if (missing.length > 0) {
      const { waivedBy } = applyWaivers(
        missing.map(parseCheckRef),
        inScope,
        // Scope filtering is done above; applyWaivers re-checks it against the cluster (and pool).
        { clusterId: s.clusterId, subscriptionId: s.subscriptionId, ...poolOf(inScope) },
        this.now,
        { kubernetesVersion: s.kubernetesVersion || null },
      );
      missing.forEach((r, i) => this.verdicts.set(set + r, Boolean(waivedBy[i])));
    }
    return refs.map((r) => this.verdicts.get(set + r) === true);
  }
}

/** The pool a set of in-scope waivers was chosen for, so applyWaivers accepts its pool waivers. */
function poolOf(inScope: readonly Waiver[]): { pool?: string } {
  const p = inScope.find((w) => w.scope.kind === 'pool');
  return p && p.scope.kind === 'pool' ? { pool: p.scope.pool } : {};
}

/** Topic → the cluster's failing checks of that topic. */
function checksByTopic(s: ClusterSummary, memo: WaiverMemo): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const ref of s.results?.failingChecks ?? []) {
    const t = memo.topicOf(ref);
    if (t !== null) out.set(t, [...(out.get(t) ?? []), ref]);
  }
  return out;
}

/** The topics whose every failing check on the cluster is waived by these waivers. */
function waivedTopics(s: ClusterSummary, byTopic: Map<string, string[]>, inScope: readonly Waiver[], memo: WaiverMemo): Set<string> {
  const out = new Set<string>();
  if (inScope.length === 0) return out;
  for (const [t, refs] of byTopic) if (memo.waived(refs, inScope, s).every(Boolean)) out.add(t);
  return out;
}

function dispositionCell(s: ClusterSummary, topic: string, knowledge: TopicKnowledge): MatrixCell {
  const d = knowledge.topic(topic, s.results?.benchmark ?? null)?.disposition ?? 'unknown';
  return CELL_SET.has(d) ? (d as MatrixCell) : 'unknown';
}

/** The pools named by pool-scoped waivers in force on this cluster. */
function waiverPools(s: ClusterSummary, waivers: readonly Waiver[]): string[] {
  const pools = new Set<string>();
  for (const w of waivers) if (w.scope.kind === 'pool' && sameId(w.scope.clusterId, s.clusterId)) pools.add(w.scope.pool);
  return [...pools].sort();
}

/**
 * The top topics a pool-scoped waiver can change a cell of, on the clusters of this fleet: the
 * ones the matrix must read the topic aggregate of (it alone knows which pools fail a topic).
 */
export function poolWaiverTopics(fleet: readonly ClusterSummary[], top: readonly TopFailing[], o: Pick<MatrixOptions, 'waivers' | 'now'>): string[] {
  const pooled = o.waivers.filter((w) => w.scope.kind === 'pool');
  if (pooled.length === 0) return [];
  const memo = new WaiverMemo(o.waivers, o.now);
  const wanted = new Set(top.map((t) => t.topic));
  const out = new Set<string>();
  for (const s of fleet) {
    const pools = waiverPools(s, pooled);
    if (pools.length === 0 || !s.results) continue;
    const byTopic = checksByTopic(s, memo);
    for (const pool of pools) {
      const scoped = memo.inScope(s, pool).filter((w) => w.scope.kind === 'pool');
      for (const [t, refs] of byTopic) if (wanted.has(t) && memo.waived(refs, scoped, s).some(Boolean)) out.add(t);
    }
  }
  return [...out].sort();
}

export function buildMatrix(fleet: readonly ClusterSummary[], top: readonly TopFailing[], o: MatrixOptions, poolFailures: PoolFailures = new Map()): Matrix {
  const memo = new WaiverMemo(o.waivers, o.now);
  const failingPools = (s: ClusterSummary, topic: string): string[] | null =>
    poolFailures.get(topic)?.find((f) => sameId(f.clusterId, s.clusterId))?.pools ?? null;
  const rows: MatrixRow[] = fleet.map((s) => {
    const r = s.results;
    const byTopic = checksByTopic(s, memo);
    const clusterWaived = waivedTopics(s, byTopic, memo.inScope(s), memo);
    const pools = r ? waiverPools(s, o.waivers) : [];
    const poolWaived = new Map(pools.map((p) => [p, waivedTopics(s, byTopic, memo.inScope(s, p), memo)]));
    const cell = (topic: string, pool?: string): MatrixCell => {
      if (!r) return 'none';
      if (!r.failingTopics.includes(topic)) return 'pass';
      if (clusterWaived.has(topic)) return 'waived';
      const where = failingPools(s, topic);
      if (pool !== undefined) {
        // Without the aggregate's pools (not read: no waiver touches the topic) the pool is taken as failing.
        if (where !== null && !where.includes(pool)) return 'pass';
        return poolWaived.get(pool)?.has(topic) ? 'waived' : dispositionCell(s, topic, o.knowledge);
      }
      // Waived for the cluster when every pool the topic fails in is waived for it.
      if (where !== null && where.length > 0 && where.every((p) => poolWaived.get(p)?.has(topic))) return 'waived';
      return dispositionCell(s, topic, o.knowledge);
    };
    return {
      id: s.clusterId,
      subscriptionId: s.subscriptionId,
      resourceGroup: s.resourceGroup,
      name: s.name,
      kubernetesVersion: s.kubernetesVersion,
      tags: s.tags ?? {},
      outcome: s.outcome,
      reason: s.reason,
      stale: isStale(s, o.now, o.schedulePeriodMs),
      fail: r?.totals.fail ?? 0,
      yoursToFix: r ? YOURS.reduce((n, k) => n + (r.triage[k] ?? 0), 0) : 0,
      cells: top.map((t) => cell(t.topic)),
      pools: pools.map((p) => ({ pool: p, cells: top.map((t) => cell(t.topic, p)) })),
    };
  });
  return {
    generatedAt: o.now.toISOString(),
    topics: top.map((t) => ({ topic: t.topic, title: t.title, disposition: t.disposition ?? 'unknown', clusters: t.clusters })),
    total: rows.length,
    rows,
  };
}
