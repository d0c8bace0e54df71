/**
 * The fleet heatmap: clusters × the fleet's top failing topics, one cell per pair, built from the
 * per-cluster summaries alone (their failing topics and checks), so it costs the one fleet read.
 */
import { applyWaivers, resolveEntry, type Waiver } from '../knowledge/index.js';
import { isStale } from '../report/fleet-filter.js';
import type { TopicKnowledge } from '../report/fleet-knowledge.js';
import { YOURS, type TopFailing } from '../report/fleet-schema.js';
import type { ClusterSummary } from '../store/types.js';
import { MATRIX_CELLS, type Matrix, type MatrixCell, type MatrixRow } from './schemas.js';

export interface MatrixOptions {
  now: Date;
  schedulePeriodMs: number;
  knowledge: TopicKnowledge;
  waivers: readonly Waiver[];
}

const CELL_SET: ReadonlySet<string> = new Set(MATRIX_CELLS);

/** A check reference as stored on the fleet entity ("aks-1.8:3.2.4"; "-" for no benchmark). */
function parseCheckRef(ref: string): { id: string; benchmark: string | null } {
  const at = ref.lastIndexOf(':');
  const bench = ref.slice(0, at);
  return { id: ref.slice(at + 1), benchmark: bench === '-' || bench === '' ? null : bench };
}

/**
 * The cluster's failing checks grouped by topic, each group marked waived when every one of its
 * checks is waived for the cluster. Pool-scoped waivers cannot be told at this level (the fleet
 * entity does not keep pools per check), so they leave a cell unwaived; the cluster view shows them.
 */
function waivedTopics(s: ClusterSummary, waivers: readonly Waiver[], now: Date): Set<string> {
  const r = s.results;
  if (!r || waivers.length === 0) return new Set();
  const refs = r.failingChecks.map(parseCheckRef);
  const topics = refs.map((c) => resolveEntry({ ...c, title: '' })?.topic ?? null);
  const { waivedBy } = applyWaivers(
    refs.map((c) => ({ ...c, title: '' })),
    waivers,
    { clusterId: s.clusterId, subscriptionId: s.subscriptionId },
    now,
    { kubernetesVersion: s.kubernetesVersion || null },
  );
  const open = new Set<string>();
  const waived = new Set<string>();
  topics.forEach((t, i) => {
    if (t === null) return;
    if (waivedBy[i]) waived.add(t);
    else open.add(t);
  });
  for (const t of open) waived.delete(t);
  return waived;
}

function cellOf(s: ClusterSummary, topic: string, waived: Set<string>, knowledge: TopicKnowledge): MatrixCell {
  const r = s.results;
  if (!r) return 'none';
  if (!r.failingTopics.includes(topic)) return 'pass';
  if (waived.has(topic)) return 'waived';
  const d = knowledge.topic(topic, r.benchmark)?.disposition ?? 'unknown';
  return CELL_SET.has(d) ? (d as MatrixCell) : 'unknown';
}

export function buildMatrix(fleet: readonly ClusterSummary[], top: readonly TopFailing[], o: MatrixOptions): Matrix {
  const rows: MatrixRow[] = fleet.map((s) => {
    const waived = waivedTopics(s, o.waivers, o.now);
    const r = s.results;
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
      cells: top.map((t) => cellOf(s, t.topic, waived, o.knowledge)),
    };
  });
  return {
    generatedAt: o.now.toISOString(),
    topics: top.map((t) => ({ topic: t.topic, title: t.title, disposition: t.disposition ?? 'unknown', clusters: t.clusters })),
    total: rows.length,
    rows,
  };
}
