/**
 * One Teams message per scan run and channel: what changed on the channel's clusters since their
 * previous scan. A fleet-wide first scan or a node-image regression would otherwise post hundreds
 * of cards in minutes, which Teams Workflows throttles or drops.
 *
 * Pure: it reads plain data (each cluster's outcome and compareChecks result, the expired waivers)
 * and returns the Workflows body; posting, routing and "never twice" belong to the caller.
 * The content, most important first, until the 20,000-byte budget is spent ("+N more" after that):
 * clusters with new FAILs (yours to fix first, grouped by topic with the pools they fail in, each
 * with the knowledge base's one line on what to do) and their fixed checks; clusters that newly
 * failed to scan; waivers expired since the last run; one baseline line per first scan.
 */
import type { Waiver } from '../knowledge/index.js';
import { expiredWaivers } from '../knowledge/index.js';
import type { CheckChanges } from '../diff/coverage.js';
import type { DiffItem } from '../diff/diff.js';
import { InputError } from '../model/errors.js';
import { compareIds } from '../model/result.js';
import { largestFitting } from './fit.js';
import { clusterLink, dashboardBase } from './links.js';
import type { LinkedCluster } from './links.js';
import type { CardElement, TeamsBody } from './teams.js';
import { byteLength, clip, defaultWhatToDo, teamsBody, TEAMS_BUDGET_BYTES, YOURS_TO_FIX } from './teams.js';
import type { WaivedBy } from './waived.js';

/** A noisy cluster must not take the whole card: further new FAILs of one cluster are "+N more on this cluster". */
export const DIGEST_LINES_PER_CLUSTER = 8;

export type DigestOutcome = { kind: 'scanned' } | { kind: 'skipped' | 'failed'; reason: string; detail: string };
export type DigestOutcomeKind = DigestOutcome['kind'];

export interface DigestCluster extends LinkedCluster {
  id: string;
}

/** One cluster's attempt in the run, against its previous attempt and its previous results. */
export interface ClusterChange {
  cluster: DigestCluster;
  outcome: DigestOutcome;
  /** The kind of the cluster's previous attempt, of any outcome; null when this is its first. */
  previousOutcome: DigestOutcomeKind | null;
  /** compareChecks(latest earlier scanned results or null, this attempt's results); null when this attempt did not scan. */
  changes: CheckChanges | null;
  /** New FAILs a waiver covers are counted, not listed. */
  waivedBy?: WaivedBy;
  /**
   * Unwaived new FAILs and fixes beyond the lists in `changes` (a stored change keeps at most 400 of
   * each): counted here, linked to the cluster's view, whose diff (GET /api/clusters/{...}/diff) has them all.
   */
  beyond?: { newFailures: number; fixed: number };
}

export type ExpiredWaiver = Pick<Waiver, 'id' | 'topic' | 'checkId' | 'reason' | 'owner' | 'expires'>;

export interface DigestInput {
  runId: string;
  /** The route's name (e.g. "payments", or "default" for TEAMS_WEBHOOK_URL); shown, never its URL. */
  channel: string;
  clusters: readonly ClusterChange[];
  /** Waivers that expired since the last run (waiversExpiredSince). */
  expiredWaivers?: readonly ExpiredWaiver[];
  /** DASHBOARD_URL; only its origin and path are used in links. */
  dashboardUrl?: string;
  /** JSON byte budget of the whole body; default 20,000. */
  budgetBytes?: number;
  /** A late digest (generation 2 and up): clusters that reported after the run's digest was built. */
  lateGeneration?: number;
  maxLinesPerCluster?: number;
  whatToDo?: (item: DiffItem) => string | null;
}

export interface DigestMessage {
  body: TeamsBody;
  /** UTF-8 bytes of JSON.stringify(body). */
  bytes: number;
  channel: string;
  /** Clusters the digest reports on (changes, scan failures, baselines), listed or not. */
  clusters: number;
  /** New unwaived FAILs, as (pool, topic) items, listed or not. */
  newFails: number;
  /** Clusters that fixed at least one check. */
  fixed: number;
  /** Rows of the card (cluster lines, scan failures, waivers, baselines) listed / left off for the budget. */
  included: number;
  omitted: number;
}

/**
 * Waivers that have expired by `now` but had not by `since` (the previous run's start): each is
 * announced once. With no previous run, every expired waiver is news.
 */
export function waiversExpiredSince(waivers: readonly Waiver[], since: Date | null, now: Date): Waiver[] {
  const before = new Set(since ? expiredWaivers(waivers, {}, since) : []);
  return expiredWaivers(waivers, {}, now).filter((w) => !before.has(w));
}

type Section = 'changes' | 'scan-failures' | 'waivers' | 'baselines';

/** One row of the card. Rows of a block (a cluster with changes) share a Container. */
interface Unit {
  section: Section;
  block: number;
  element: CardElement;
  /** New FAILs this row lists (for the "+N more" count). */
  newFails: number;
  /** The first row of a cluster's block. */
  head?: true;
}

interface ClusterReport {
  change: ClusterChange;
  open: DiffItem[];
  yours: number;
  waived: number;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const isYours = (it: DiffItem): boolean => YOURS_TO_FIX.has(it.disposition ?? '');

/**
 * Text from a cluster (check titles and ids, pool names, failure details) or from a waiver file,
 * clipped to one line. Brackets become parentheses so it cannot form a markdown link: a cluster's
 * owner controls what kube-bench prints on their nodes, and a card must not carry their links.
 */
function plain(s: string, max: number): string {
  return clip(s, max).replace(/\[/g, '(').replace(/\]/g, ')');
}

function text(t: string, extra: Partial<Extract<CardElement, { type: 'TextBlock' }>> = {}): CardElement {
  return { type: 'TextBlock', text: t, wrap: true, ...extra };
}

/** A topic's new FAILs on one cluster: one row however many pools it fails in. */
function topicGroups(items: readonly DiffItem[]): DiffItem[][] {
  const groups = new Map<string, DiffItem[]>();
  for (const it of items) {
    const k = it.topic ?? `${it.benchmark ?? '-'}:${it.id}`;
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  const yoursFirst = (g: DiffItem[]): number => (g.some(isYours) ? 0 : 1);
  return [...groups.values()].sort((a, b) => yoursFirst(a) - yoursFirst(b) || compareIds((a[0] as DiffItem).id, (b[0] as DiffItem).id));
}

function poolsOf(items: readonly DiffItem[]): string {
  const pools = [...new Set(items.map((it) => it.pool ?? '-'))].sort();
  return `${pools.length === 1 ? 'pool' : 'pools'} ${plain(pools.join(', '), 120)}`;
}

function compareReports(a: ClusterReport, b: ClusterReport): number {
  return b.yours - a.yours || b.open.length - a.open.length || (b.change.changes?.fixed.length ?? 0) - (a.change.changes?.fixed.length ?? 0) || byName(a, b);
}

function byName(a: { change: ClusterChange }, b: { change: ClusterChange }): number {
  const x = a.change.cluster;
  const y = b.change.cluster;
  return x.name.localeCompare(y.name) || x.resourceGroup.localeCompare(y.resourceGroup) || x.subscriptionId.localeCompare(y.subscriptionId);
}

function coverageLine(c: CheckChanges): string | null {
  if (c.coverageAdded.length === 0 && c.coverageRemoved.length === 0) return null;
  const names = (items: readonly DiffItem[]): string => [...new Set(items.map((it) => it.benchmark ?? 'unknown'))].sort().join(', ');
  const from = names(c.coverageRemoved);
  const to = names(c.coverageAdded);
  const failing = c.coverageAdded.filter((it) => it.after === 'FAIL').length;
  return clip(
    `Benchmark ${from || 'unchanged'} → ${to || 'unchanged'}: ${plural(c.coverageAdded.length, 'check')} added (${failing} FAIL), ` +
      `${c.coverageRemoved.length} removed; not counted as new or fixed`,
    300,
  );
}

const newBeyond = (c: ClusterChange): number => c.beyond?.newFailures ?? 0;
const fixedCount = (c: ClusterChange): number => (c.changes?.fixed.length ?? 0) + (c.beyond?.fixed ?? 0);
const openCount = (r: { change: ClusterChange; open: readonly DiffItem[] }): number => r.open.length + newBeyond(r.change);

/** The digest of one run for one channel, or null when there is nothing to tell. */
export function buildDigest(input: DigestInput): DigestMessage | null {
  const budget = input.budgetBytes ?? TEAMS_BUDGET_BYTES;
  const maxLines = input.maxLinesPerCluster ?? DIGEST_LINES_PER_CLUSTER;
  if (!(maxLines >= 1)) throw new InputError('maxLinesPerCluster', 'must be 1 or more');
  const base = input.dashboardUrl !== undefined ? dashboardBase(input.dashboardUrl) : null;
  const whatToDoOf = input.whatToDo ?? defaultWhatToDo;
  const link = (c: DigestCluster): string => {
    const label = plain(`${c.resourceGroup} / ${c.name}`, 160);
    return base ? `[${label}](${clusterLink(base, c)})` : label;
  };

  const changed: ClusterReport[] = [];
  const baselines: ClusterReport[] = [];
  const scanFailures: ClusterChange[] = [];
  let coverageOnly = 0;
  let scanningAgain = 0;
  for (const change of input.clusters) {
    if (change.outcome.kind === 'failed' && change.previousOutcome !== 'failed') scanFailures.push(change);
    const c = change.changes;
    if (change.outcome.kind !== 'scanned' || !c) continue;
    if (change.previousOutcome === 'failed') scanningAgain++;
    const open = c.newFailures.filter((it) => !change.waivedBy?.(it));
    const report: ClusterReport = { change, open, yours: open.filter(isYours).length, waived: c.newFailures.length - open.length };
    if (c.firstScan) baselines.push({ ...report, open: c.newFailures, yours: c.newFailures.filter(isYours).length });
    else if (open.length + newBeyond(change) > 0 || fixedCount(change) > 0) changed.push(report);
    else if (c.coverageAdded.length + c.coverageRemoved.length > 0) coverageOnly++;
  }
  const expired = [...(input.expiredWaivers ?? [])].sort((a, b) => a.expires.localeCompare(b.expires) || a.id.localeCompare(b.id));
  if (changed.length + baselines.length + scanFailures.length + expired.length === 0) return null;
  changed.sort(compareReports);
  scanFailures.sort((a, b) => byName({ change: a }, { change: b }));
  baselines.sort((a, b) => b.yours - a.yours || byName(a, b));

  const units: Unit[] = [];
  changed.forEach((r, block) => {
    const c = r.change.changes as CheckChanges;
    const fixed = fixedCount(r.change);
    const head = [
      ...(openCount(r) > 0 ? [`${plural(openCount(r), 'new FAIL')} (${r.yours}${newBeyond(r.change) > 0 ? '+' : ''} yours to fix)`] : []),
      ...(fixed > 0 ? [`${fixed} fixed`] : []),
      ...(r.waived > 0 ? [`${r.waived} new waived`] : []),
    ].join(', ');
    units.push({
      section: 'changes',
      block,
      element: text(`**${link(r.change.cluster)}**: ${head}`, r.yours > 0 ? { color: 'Attention' } : {}),
      newFails: 0,
      head: true,
    });
    const groups = topicGroups(r.open);
    for (const g of groups.slice(0, maxLines)) {
      const first = g[0] as DiffItem;
      const who = g.some(isYours) ? 'yours to fix' : (first.disposition ?? 'unknown to the knowledge base');
      const todo = whatToDoOf(first);
      const line = `**${plain(first.id, 20)}** ${plain(first.title, 100)} (${poolsOf(g)}; ${who})${todo ? ` → ${clip(todo, 220)}` : ''}`;
      units.push({ section: 'changes', block, element: text(line, { spacing: 'Small' }), newFails: g.length });
    }
    const rest = groups.slice(maxLines).reduce((n, g) => n + g.length, 0) + newBeyond(r.change);
    // The cluster's view lists them all (its diff); the link is the scanner's own, never a key.
    const more = `+${plural(rest, 'more new FAIL')} on this cluster`;
    if (rest > 0)
      units.push({
        section: 'changes',
        block,
        element: text(base ? `[${more}](${clusterLink(base, r.change.cluster)})` : more, { isSubtle: true }),
        newFails: rest,
      });
    if (fixed > 0) {
      const list = [
        ...c.fixed.map((it) => `${it.id} ${clip(it.title, 60)} (${it.pool ?? '-'}${it.after === null ? ', no longer reported' : ''})`),
        ...(fixed > c.fixed.length ? [`+${fixed - c.fixed.length} more`] : []),
      ].join('; ');
      units.push({ section: 'changes', block, element: text(plain(`Fixed: ${list}`, 500), { isSubtle: true, spacing: 'Small' }), newFails: 0 });
    }
    const coverage = coverageLine(c);
    if (coverage) units.push({ section: 'changes', block, element: text(coverage, { isSubtle: true, spacing: 'Small' }), newFails: 0 });
  });
  for (const f of scanFailures) {
    const o = f.outcome as Exclude<DigestOutcome, { kind: 'scanned' }>;
    units.push({ section: 'scan-failures', block: -1, element: text(`${link(f.cluster)}: **${plain(o.reason, 40)}**: ${plain(o.detail, 200)}`), newFails: 0 });
  }
  for (const w of expired) {
    const subject = w.topic ?? w.checkId ?? 'a check';
    units.push({
      section: 'waivers',
      block: -1,
      element: text(`**${plain(w.id, 60)}** (${plain(subject, 80)}) expired ${w.expires}, owner ${plain(w.owner, 80)}: ${plain(w.reason, 200)}`),
      newFails: 0,
    });
  }
  for (const b of baselines) {
    const fails = (b.change.changes as CheckChanges).newFailures.length + newBeyond(b.change);
    units.push({ section: 'baselines', block: -1, element: text(`${link(b.change.cluster)}: baseline: ${fails} FAIL, ${b.yours} yours to fix`), newFails: 0 });
  }

  const newFails = changed.reduce((n, r) => n + openCount(r), 0);
  const yours = changed.reduce((n, r) => n + r.yours, 0);
  const fixedClusters = changed.filter((r) => fixedCount(r.change) > 0);
  const fixedChecks = fixedClusters.reduce((n, r) => n + fixedCount(r.change), 0);
  const waived = changed.reduce((n, r) => n + r.waived, 0);
  const withNew = changed.filter((r) => openCount(r) > 0).length;
  const headline =
    `${newFails > 0 ? `${plural(newFails, 'new FAIL')} on ${plural(withNew, 'cluster')}` : 'No new FAILs'}; ` +
    `${plural(fixedClusters.length, 'cluster')} fixed something`;
  const facts = [
    { title: 'Run', value: clip(input.runId, 120) },
    ...(input.lateGeneration ? [{ title: 'Late results', value: `part ${input.lateGeneration}: clusters that reported after the run's digest went out` }] : []),
    { title: 'Channel', value: clip(input.channel, 80) },
    ...(newFails > 0 ? [{ title: 'New FAILs', value: `${newFails} (${yours} yours to fix)` }] : []),
    ...(fixedChecks > 0 ? [{ title: 'Fixed', value: `${plural(fixedChecks, 'check')} on ${plural(fixedClusters.length, 'cluster')}` }] : []),
    ...(waived > 0 ? [{ title: 'Waived', value: `${plural(waived, 'new FAIL')} not listed` }] : []),
    ...(scanFailures.length > 0 ? [{ title: 'Newly failing to scan', value: plural(scanFailures.length, 'cluster') }] : []),
    ...(scanningAgain > 0 ? [{ title: 'Scanning again', value: plural(scanningAgain, 'cluster') }] : []),
    ...(baselines.length > 0 ? [{ title: 'First scans', value: plural(baselines.length, 'cluster') }] : []),
    ...(coverageOnly > 0 ? [{ title: 'Benchmark changed', value: `${plural(coverageOnly, 'cluster')}, nothing new` }] : []),
    ...(expired.length > 0 ? [{ title: 'Waivers expired', value: String(expired.length) }] : []),
  ];
  const headings: Record<Section, string> = {
    changes: `Clusters with changes (${changed.length})`,
    'scan-failures': `Newly failing to scan (${scanFailures.length})`,
    waivers: `Waivers expired since the last run (${expired.length})`,
    baselines: `First scans (${baselines.length})`,
  };

  const build = (n: number): TeamsBody => {
    const body: CardElement[] = [
      text(headline, { weight: 'Bolder', size: 'Medium', ...(yours > 0 ? { color: 'Attention' as const } : {}) }),
      { type: 'FactSet', facts },
    ];
    let section: Section | null = null;
    let block = -1;
    let container: CardElement[] = [];
    for (const u of units.slice(0, n)) {
      if (u.section !== section) {
        section = u.section;
        block = -1;
        body.push(text(headings[section], { weight: 'Bolder', spacing: 'Medium' }));
      }
      if (u.block < 0) body.push(u.element);
      else {
        if (u.block !== block) {
          block = u.block;
          container = [];
          body.push({ type: 'Container', separator: true, items: container });
        }
        container.push(u.element);
      }
    }
    const more = omittedSummary(units.slice(n));
    if (more) body.push(text(`${more} not shown${base ? ': open the dashboard' : ''}`, { isSubtle: true, spacing: 'Medium' }));
    return teamsBody(body, base);
  };

  const included = largestFitting(units.length, (n) => byteLength(build(n)) <= budget);
  const body = build(included);
  const bytes = byteLength(body);
  if (bytes > budget) throw new InputError('Teams digest', `does not fit ${budget} bytes even with no row listed (${bytes} bytes)`);
  return {
    body,
    bytes,
    channel: input.channel,
    clusters: changed.length + baselines.length + scanFailures.length,
    newFails,
    fixed: fixedClusters.length,
    included,
    omitted: units.length - included,
  };
}

/** "+12 more new FAILs, +5 more clusters with changes, +3 more first scans": what the budget left off. */
function omittedSummary(rest: readonly Unit[]): string | null {
  if (rest.length === 0) return null;
  const count = (s: Section): number => rest.filter((u) => u.section === s).length;
  const fails = rest.reduce((n, u) => n + u.newFails, 0);
  const clusters = rest.filter((u) => u.head).length;
  const parts = [
    ...(fails > 0 ? [`+${plural(fails, 'more new FAIL')}`] : []),
    ...(clusters > 0 ? [`+${plural(clusters, 'more cluster')} with changes`] : []),
    ...(count('scan-failures') > 0 ? [`+${plural(count('scan-failures'), 'more scan failure')}`] : []),
    ...(count('waivers') > 0 ? [`+${plural(count('waivers'), 'more expired waiver')}`] : []),
    ...(count('baselines') > 0 ? [`+${plural(count('baselines'), 'more first scan')}`] : []),
  ];
  // Only a cluster's fixed or coverage line left off: still say something was cut.
  return parts.length > 0 ? parts.join(', ') : `+${plural(rest.length, 'more line')}`;
}
