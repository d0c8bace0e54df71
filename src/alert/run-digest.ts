/**
 * One Teams digest per scan run and channel, posted once and never lost.
 *
 * 1. As each cluster of a run is stored, `recordClusterChange` diffs it against its previous scan,
 *    drops new FAILs already alerted (the open-alert ledger: one alert id per cluster, pool, topic
 *    and the scan that first saw the FAIL), and stores the change on the run with its channel.
 * 2. When the run's last cluster is recorded, or its deadline passes (the housekeeping timer), the
 *    first caller to claim the build (an ETag-guarded row) builds every channel's digest and stores it.
 * 3. Each digest is posted by whoever claims its delivery row. A failed post is recorded on the run
 *    (GET /api/scans/{id}) and retried by housekeeping with growing gaps for 24 hours, then marked
 *    gave-up and logged as an error: never dropped in silence.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Waiver } from '../knowledge/index.js';
import type { CheckChanges } from '../diff/coverage.js';
import { compareChecks } from '../diff/coverage.js';
import type { DiffItem } from '../diff/diff.js';
import { OUTCOME_KINDS, type ClusterRef } from '../model/cluster.js';
import { errorLine } from '../model/errors.js';
import type { Store } from '../store/store.js';
import type { DigestDelivery, StoredClusterScan } from '../store/types.js';
import type { BuildState, StoredDelivery } from '../store/alerts.js';
import type { ClusterChange, DigestMessage } from './digest.js';
import { buildDigest, waiversExpiredSince } from './digest.js';
import { diffItemSchema } from '../diff/schema.js';
import type { AlertRouting } from './routes.js';
import { DEFAULT_CHANNEL, routeFor } from './routes.js';
import type { SendOptions } from './send.js';
import { sendTeams } from './send.js';
import { waiverLookup } from './waived.js';

export interface AlertSettings {
  /** TEAMS_WEBHOOK_URL, the default channel (a secret: never logged). */
  webhookUrl?: string;
  /** ALERT_ROUTES with each route's URL; the default channel is its fallback. */
  routing: AlertRouting;
  /** The effective waivers (table, file, defaults), read through a short cache: src/waivers/effective.ts. */
  waivers: () => Promise<readonly Waiver[]>;
  dashboardUrl?: string;
  /** A run's digests go out this long after its start even if some clusters never report. */
  runDeadlineMs: number;
  /** Tests: a fake clock for Retry-After, a quick sleep. */
  send?: SendOptions;
}

export interface DigestDeps {
  store: Store;
  now: () => Date;
  log: (line: string) => void;
  alerts: AlertSettings;
}

/** How long a builder or a poster holds its claim before another may take over (it died). */
const BUILD_LEASE_MS = 5 * 60_000;
const POST_LEASE_MS = 3 * 60_000;
/** A digest that could not be posted is retried for this long, then given up (and logged as an error). */
export const DELIVERY_RETRY_MS = 24 * 3_600_000;
const MIN_RETRY_GAP_MS = 60_000;
const MAX_RETRY_GAP_MS = 2 * 3_600_000;
/** Attempts per post while the run's worker or housekeeping waits; more come on later ticks. */
const RETRIES_PER_POST = 2;

// ---- the stored change ----------------------------------------------------------------------

const items = z.array(diffItemSchema);
const StoredChangeSchema = z.object({
  cluster: z.object({ id: z.string(), subscriptionId: z.string(), resourceGroup: z.string(), name: z.string() }),
  outcome: z.union([z.object({ kind: z.literal('scanned') }), z.object({ kind: z.enum(['skipped', 'failed']), reason: z.string(), detail: z.string() })]),
  previousOutcome: z.enum(OUTCOME_KINDS).nullable(),
  changes: z
    .object({
      newFailures: items,
      fixed: items,
      stillFailing: items,
      newWarnings: items,
      coverageAdded: items,
      coverageRemoved: items,
      firstScan: z.boolean(),
    })
    .nullable(),
  /** Keys of new FAILs a waiver covers: counted, not listed. */
  waived: z.array(z.string()),
  /** New FAILs already alerted by an earlier scan (a concurrent run, a gap in history): left out. */
  repeats: z.number().int().min(0),
  /** Unwaived new FAILs and fixes past the stored lists' cap: counted on the digest, all in the diff route. */
  beyond: z.object({ newFailures: z.number().int().min(0), fixed: z.number().int().min(0) }).optional(),
});
export type StoredChange = z.infer<typeof StoredChangeSchema>;

/**
 * Items kept per list: a node-image regression of hundreds of checks stays a readable row, counted in
 * full (`beyond`). Nothing is dropped from the API: GET /api/scans/{id} and the diff route read the
 * stored scans, not this row, and the digest's "+N more" links to the cluster's view of that diff.
 */
const MAX_STORED_ITEMS = 400;

function trimmed(c: CheckChanges): CheckChanges {
  const cut = (l: DiffItem[]): DiffItem[] => l.slice(0, MAX_STORED_ITEMS).map((it) => ({ ...it, failingNodes: it.failingNodes.slice(0, 5) }));
  // stillFailing is not shown by a digest: kept empty to keep the row small.
  return {
    ...c,
    newFailures: cut(c.newFailures),
    fixed: cut(c.fixed),
    stillFailing: [],
    newWarnings: [],
    coverageAdded: cut(c.coverageAdded),
    coverageRemoved: cut(c.coverageRemoved),
  };
}

/** The alert id of a FAIL: stable per (cluster, pool, topic, first-seen scan); a FAIL fixed and back gets a new one. */
export function alertId(clusterId: string, item: Pick<DiffItem, 'key'>, firstSeenScanId: string): string {
  return createHash('sha256').update(`${clusterId.toLowerCase()}\n${item.key}\n${firstSeenScanId}`).digest('hex').slice(0, 24);
}

function earlier(a: { startedAt: string; scanId: string }, b: { startedAt: string; scanId: string }): boolean {
  return a.startedAt < b.startedAt || (a.startedAt === b.startedAt && a.scanId < b.scanId);
}

export interface RecordedAttempt {
  runId: string;
  /** The scan id the attempt was stored under. */
  scanId: string;
  cluster: Pick<ClusterRef, 'id' | 'subscriptionId' | 'resourceGroup' | 'name' | 'kubernetesVersion' | 'tags'>;
}

/**
 * Step 1: the cluster's change in its run, stored on the run. Safe to repeat (a redelivered message):
 * the same scan diffs against the same baseline, opens the same alerts and writes the same row.
 */
export async function recordClusterChange(attempt: RecordedAttempt, deps: DigestDeps): Promise<StoredChange | null> {
  const { store } = deps;
  const c = attempt.cluster;
  const current = await store.getClusterScan(c.id, attempt.scanId);
  if (!current) return null;
  const history = await store.getClusterHistory(c.id, 1000);
  const before = history.filter((h) => h.scanId !== attempt.scanId && earlier(h, current));
  const previousOutcome = before[0]?.outcome.kind ?? null;
  const baseline = before.find((h) => h.outcome.kind === 'scanned');
  let changes: CheckChanges | null = null;
  const waived: string[] = [];
  let repeats = 0;
  let beyond = { newFailures: 0, fixed: 0 };
  if (current.outcome.kind === 'scanned') {
    const previous: StoredClusterScan | null = baseline ? await store.getClusterScan(c.id, baseline.scanId) : null;
    const all = compareChecks(previous?.checks ?? null, current.checks);
    const waivedBy = waiverLookup(all.newFailures, await deps.alerts.waivers(), c, deps.now());
    const open: DiffItem[] = [];
    for (const it of all.newFailures) {
      if (waivedBy(it)) waived.push(it.key);
      else open.push(it);
    }
    let kept = open;
    if (!all.firstScan) {
      // The ledger: a FAIL already alerted from another scan is not new again; a fixed one is closed.
      const ledger = await store.alerts.openAlerts(c.id);
      const opened = await store.alerts.openAlertsFor(
        c.id,
        open
          .filter((it) => !ledger.has(it.key))
          .map((it) => ({ key: it.key, alert: { alertId: alertId(c.id, it, attempt.scanId), firstSeenScanId: attempt.scanId } })),
      );
      kept = [];
      for (const it of open) {
        if ((ledger.get(it.key) ?? opened.get(it.key))?.firstSeenScanId === attempt.scanId) kept.push(it);
        else repeats++;
      }
      await store.alerts.closeAlerts(
        c.id,
        all.fixed.filter((it) => ledger.has(it.key)).map((it) => it.key),
      );
    }
    // Waived ones stay in the list, marked by key: the digest counts them (and a baseline's FAILs) without listing them.
    const waivedSet = new Set(waived);
    changes = trimmed({ ...all, newFailures: [...kept, ...all.newFailures.filter((it) => waivedSet.has(it.key))] });
    beyond = { newFailures: Math.max(0, kept.length - MAX_STORED_ITEMS), fixed: Math.max(0, all.fixed.length - MAX_STORED_ITEMS) };
  }
  const o = current.outcome;
  const change: StoredChange = {
    cluster: { id: c.id, subscriptionId: c.subscriptionId, resourceGroup: c.resourceGroup, name: c.name },
    outcome: o.kind === 'scanned' ? { kind: 'scanned' } : { kind: o.kind, reason: o.reason, detail: o.detail },
    previousOutcome,
    changes,
    waived,
    repeats,
    ...(beyond.newFailures + beyond.fixed > 0 ? { beyond } : {}),
  };
  const channel = routeFor({ subscriptionId: c.subscriptionId, resourceGroup: c.resourceGroup, tags: c.tags }, deps.alerts.routing)?.name ?? null;
  await store.alerts.putChange(attempt.runId, c.id, channel, change);
  await store.alerts.markPending(attempt.runId, current.startedAt);
  return change;
}

// ---- building and posting -------------------------------------------------------------------

export interface DeliveryReport {
  runId: string;
  /** Why nothing was done, when nothing was. */
  waiting?: 'not complete' | 'claimed by another worker' | 'unknown run';
  built: DigestMessage[];
  posted: DigestDelivery[];
}

function toClusterChange(s: StoredChange): ClusterChange {
  const waived = new Set(s.waived);
  return {
    cluster: s.cluster,
    outcome: s.outcome,
    previousOutcome: s.previousOutcome,
    changes: s.changes,
    ...(s.beyond ? { beyond: s.beyond } : {}),
    ...(waived.size > 0 ? { waivedBy: (it: DiffItem) => (waived.has(it.key) ? { id: 'waived', reason: '', owner: '', expires: '' } : null) } : {}),
  };
}

function channelUrl(channel: string, routing: AlertRouting): string | null {
  if (channel === DEFAULT_CHANNEL) return routing.fallback?.url ?? null;
  return routing.routes.find((r) => r.name === channel)?.url ?? null;
}

async function buildRun(
  runId: string,
  startedAt: string,
  generation: number,
  deps: DigestDeps,
): Promise<{ delivery: DigestDelivery; body: string; message: DigestMessage }[]> {
  const { store, alerts } = deps;
  const rows = await store.alerts.listChanges(runId, generation);
  const byChannel = new Map<string, ClusterChange[]>();
  let unrouted = 0;
  for (const r of rows) {
    const parsed = StoredChangeSchema.safeParse(r.change);
    if (!parsed.success) {
      deps.log(`run ${runId}: the stored alert change of cluster ${r.clusterId} is unreadable and left out of the digest`);
      continue;
    }
    if (!r.channel) {
      unrouted++;
      continue;
    }
    const list = byChannel.get(r.channel) ?? [];
    list.push(toClusterChange(parsed.data));
    byChannel.set(r.channel, list);
  }
  if (unrouted > 0) deps.log(`run ${runId}: ${unrouted} cluster(s) match no alert route and TEAMS_WEBHOOK_URL is not set: not alerted`);
  // Waivers that expired between the previous run's start and this one's, announced once (by the
  // run's first digest): in the default channel, or in every channel when there is none.
  const previousStart = generation === 1 ? await store.alerts.previousRunStart(runId, startedAt) : null;
  const expired = generation === 1 ? waiversExpiredSince(await alerts.waivers(), previousStart ? new Date(previousStart) : null, new Date(startedAt)) : [];
  const expiredIn = new Set<string>();
  if (expired.length > 0) {
    if (alerts.routing.fallback) expiredIn.add(DEFAULT_CHANNEL);
    else for (const ch of byChannel.keys()) expiredIn.add(ch);
    for (const ch of expiredIn) if (!byChannel.has(ch)) byChannel.set(ch, []);
  }
  const out: { delivery: DigestDelivery; body: string; message: DigestMessage }[] = [];
  for (const [channel, clusters] of byChannel) {
    const m = buildDigest({
      runId,
      channel,
      clusters,
      ...(expiredIn.has(channel) ? { expiredWaivers: expired } : {}),
      ...(alerts.dashboardUrl ? { dashboardUrl: alerts.dashboardUrl } : {}),
      ...(generation > 1 ? { lateGeneration: generation } : {}),
    });
    if (!m) continue;
    out.push({
      message: m,
      body: JSON.stringify(m.body),
      delivery: {
        channel,
        generation,
        status: 'pending',
        attempts: 0,
        httpStatus: null,
        detail: 'built, not posted yet',
        firstAttemptAt: null,
        lastAttemptAt: null,
        nextAttemptAt: null,
        bytes: m.bytes,
        clusters: m.clusters,
        newFails: m.newFails,
        fixed: m.fixed,
      },
    });
  }
  return out;
}

function postDue(d: StoredDelivery, now: string): boolean {
  if (d.status === 'pending') return true;
  if (d.status === 'failed') return !d.nextAttemptAt || d.nextAttemptAt <= now;
  // A poster that died with its claim: taken over once the lease runs out.
  if (d.status === 'posting') return !d.leaseUntil || d.leaseUntil <= now;
  return false;
}

/** The gap before the next try: half the time spent trying so far, from 1 minute to 2 hours. */
function retryGapMs(firstAttemptAt: string, now: Date): number {
  const spent = now.getTime() - Date.parse(firstAttemptAt);
  return Math.min(MAX_RETRY_GAP_MS, Math.max(MIN_RETRY_GAP_MS, Math.floor(spent / 2)));
}

async function post(runId: string, d: StoredDelivery, deps: DigestDeps): Promise<DigestDelivery | null> {
  const { store, alerts } = deps;
  const started = deps.now();
  const claim = await store.alerts.claimDelivery(runId, d, new Date(started.getTime() + POST_LEASE_MS).toISOString());
  if (!claim) return null;
  const { etag: _etag, leaseUntil: _lease, ...base } = d;
  const firstAttemptAt = d.firstAttemptAt ?? started.toISOString();
  const url = channelUrl(d.channel, alerts.routing);
  const body = await store.alerts.deliveryBody(runId, d);
  let outcome: { status: 'sent' | 'failed'; httpStatus: number | null; attempts: number; detail: string };
  if (!url)
    outcome = {
      status: 'failed',
      httpStatus: null,
      attempts: 0,
      detail: `channel "${d.channel}" has no usable webhook now (route turned off or removed); retried`,
    };
  else if (body === null) outcome = { status: 'failed', httpStatus: null, attempts: 0, detail: 'the digest body is missing' };
  else {
    const r = await sendTeams(url, JSON.parse(body) as object, { maxRetries: RETRIES_PER_POST, ...alerts.send });
    outcome = r.status === 'sent' ? { ...r, status: 'sent' } : { ...r, status: 'failed' };
  }
  const now = deps.now();
  const next: DigestDelivery = {
    ...base,
    status: outcome.status,
    attempts: d.attempts + outcome.attempts,
    httpStatus: outcome.httpStatus,
    detail: outcome.detail,
    firstAttemptAt,
    lastAttemptAt: now.toISOString(),
    nextAttemptAt: null,
  };
  if (outcome.status === 'failed') {
    if (now.getTime() - Date.parse(firstAttemptAt) >= DELIVERY_RETRY_MS) {
      next.status = 'gave-up';
      deps.log(`ERROR run ${runId}: the Teams digest for channel ${d.channel} was not delivered in 24 hours and is given up: ${outcome.detail}`);
    } else {
      next.nextAttemptAt = new Date(now.getTime() + retryGapMs(firstAttemptAt, now)).toISOString();
      deps.log(`run ${runId}: the Teams digest for channel ${d.channel} failed (${outcome.detail}); housekeeping retries it from ${next.nextAttemptAt}`);
    }
  } else deps.log(`run ${runId}: Teams digest for channel ${d.channel} sent (${d.bytes} bytes, ${d.newFails} new FAIL(s) on ${d.clusters} cluster(s))`);
  if (!(await store.alerts.recordDelivery(runId, claim, next))) return null;
  return next;
}

/**
 * Builds the run's next digest generation under a claim: marks the changes no digest holds yet, then
 * builds from exactly the marked rows, so a builder that takes over a dead one's claim builds the same
 * digests (and its writes of digests already written are no-ops).
 */
async function buildGeneration(runId: string, startedAt: string, build: BuildState | null, deps: DigestDeps): Promise<DigestMessage[] | null> {
  const { store } = deps;
  let claim = await store.alerts.claimBuild(runId, build, deps.now(), BUILD_LEASE_MS);
  if (!claim) return null;
  if (!claim.marked) {
    await store.alerts.markChanges(runId, claim.generation);
    claim = await store.alerts.claimMarked(runId, claim);
    if (!claim) return null;
  }
  const digests = await buildRun(runId, startedAt, claim.generation, deps);
  if (!(await store.alerts.finishBuild(runId, claim, digests))) return null;
  return digests.map((d) => d.message);
}

export interface DeliverOptions {
  /** Build the run's digests even before it is complete and its deadline passed (the demo). */
  force?: boolean;
  /**
   * Build a late digest of the changes no digest holds yet (clusters that reported after the run's
   * digest was built). Housekeeping does, once a tick; a worker does not, so that clusters trickling
   * in after a deadline make one late digest per tick, not one each.
   */
  late?: boolean;
}

/**
 * Steps 2 and 3 for one run: build its digests if it is complete or past its deadline (or `force`),
 * or (`late`) a late digest of clusters that reported after that; then post every digest that is due.
 * Any number of workers and housekeepers may call it at once. Its reads are a few rows, whatever the
 * run's size, until a build is due.
 */
export async function deliverRunDigests(runId: string, deps: DigestDeps, opts: DeliverOptions = {}): Promise<DeliveryReport> {
  const { store } = deps;
  const report: DeliveryReport = { runId, built: [], posted: [] };
  const run = await store.alerts.runProgress(runId);
  if (!run) {
    await store.alerts.clearPending(runId);
    return { ...report, waiting: 'unknown run' };
  }
  const now = deps.now();
  const complete = run.complete;
  const pastDeadline = now.getTime() >= Date.parse(run.startedAt) + deps.alerts.runDeadlineMs;
  if (!complete && !pastDeadline && !opts.force) return { ...report, waiting: 'not complete' };
  const b = run.build;
  const buildDue = !b || b.state === 'building' || (opts.late === true && (await store.alerts.hasUndigested(runId)));
  if (buildDue) {
    const built = await buildGeneration(runId, run.startedAt, b, deps);
    if (!built) return { ...report, waiting: 'claimed by another worker' };
    report.built = built;
    if (!b && !complete)
      deps.log(`run ${runId}: past its alert deadline with ${run.queued - run.reported} cluster(s) not reported; digests built without them`);
    if (b?.state === 'built') deps.log(`run ${runId}: late digest ${b.generation + 1} built for clusters that reported after the run's digest`);
  }
  const deliveries = await store.alerts.listDeliveries(runId);
  const at = deps.now().toISOString();
  for (const d of deliveries) {
    if (!postDue(d, at)) continue;
    try {
      const r = await post(runId, d, deps);
      if (r) report.posted.push(r);
    } catch (e) {
      // The claim stays until its lease runs out; housekeeping then tries again.
      deps.log(`run ${runId}: posting the digest for channel ${d.channel} failed: ${errorLine(e)}`);
    }
  }
  const after = report.posted.length > 0 ? await store.alerts.listDeliveries(runId) : deliveries;
  // Settled: every digest sent or given up, and no late change waiting for housekeeping's next digest.
  if (after.every((d) => d.status === 'sent' || d.status === 'gave-up')) await store.alerts.settlePending(runId);
  return report;
}

/** The housekeeping timer: every run with digests not yet delivered, whose time has come. */
export async function housekeepAlerts(deps: DigestDeps): Promise<DeliveryReport[]> {
  const pending = await deps.store.alerts.listPending();
  const out: DeliveryReport[] = [];
  for (const p of pending) {
    try {
      out.push(await deliverRunDigests(p.runId, deps, { late: true }));
    } catch (e) {
      deps.log(`housekeeping: run ${p.runId}: ${errorLine(e)}`);
    }
  }
  return out;
}
