/**
 * Run digests end to end over Azurite and a local webhook receiver: one post per run and channel,
 * claims under racing workers, the open-alert ledger, retries by housekeeping, routing, deadlines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestDeps } from '../../src/alert/run-digest.js';
import { deliverRunDigests, housekeepAlerts, recordClusterChange } from '../../src/alert/run-digest.js';
import { alertRoutes } from '../../src/alert/routes.js';
import { createRateLimiter } from '../../src/alert/rate-limit.js';
import type { CardElement, TeamsBody } from '../../src/alert/teams.js';
import { effectiveWaivers, parseWaivers } from '../../src/knowledge/index.js';
import type { Waiver } from '../../src/knowledge/index.js';
import type { ClusterRef, ClusterScan } from '../../src/model/cluster.js';
import { classifierFor } from '../../src/pipeline/classify.js';
import type { Store } from '../../src/store/index.js';
import { useAzurite } from '../support/azurite.js';
import { call, depsFor } from '../api/fleet.js';
import { clusterRef, node, scanned } from '../store/fixtures.js';
import type { Receiver } from './receiver.js';
import { startReceiver } from './receiver.js';
import { messageProblems } from './validate-card.js';

const az = useAzurite();
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
});

const T0 = Date.parse('2026-11-20T02:00:00.000Z');
const HOUR = 3_600_000;
const DASHBOARD = 'https://scanner.example.com/api/dashboard?code=FUNCTION-KEY';

interface Harness {
  deps: DigestDeps;
  logs: string[];
  sleeps: number[];
  clock: { t: number };
  store: Store;
}

function harness(store: Store, env: Record<string, string>, waivers: Waiver[] = []): Harness {
  const logs: string[] = [];
  const sleeps: number[] = [];
  const clock = { t: T0 };
  const deps: DigestDeps = {
    store,
    now: () => new Date(clock.t),
    log: (l) => logs.push(l),
    alerts: {
      routing: alertRoutes(env),
      waivers: async () => waivers,
      dashboardUrl: DASHBOARD,
      runDeadlineMs: 4 * HOUR,
      send: { sleep: async (ms) => void sleeps.push(ms), limiter: createRateLimiter({ perSecond: 1000 }), now: () => clock.t },
    },
  };
  return { deps, logs, sleeps, clock, store };
}

/** What the worker does for one cluster, in the pipeline's order: store, record the change, count it done, post if last. */
async function finish(h: Harness, runId: string, scan: ClusterScan, scanId = `${runId}-${scan.cluster.name}`, deps: DigestDeps = h.deps) {
  await deps.store.saveClusterScan(scan, { runId, scanId }, classifierFor(scan.cluster));
  await recordClusterChange({ runId, scanId, cluster: scan.cluster }, deps);
  await deps.store.recordClusterDone(runId, scan.cluster.id, scan.outcome.kind);
  return deliverRunDigests(runId, deps);
}

async function startRun(h: Harness, runId: string, queued: number, trigger: 'timer' | 'http' = 'timer'): Promise<string> {
  await h.store.startRun({ runId, trigger, startedAt: new Date(h.clock.t).toISOString(), queued });
  return runId;
}

function ref(name: string, over: Partial<ClusterRef> = {}): ClusterRef {
  return { ...clusterRef(name, over.subscriptionId, over.resourceGroup), ...over };
}

/** A one-pool cluster whose node FAILs `failing` (kubelet checks 3.2.x of aks-1.8). */
function scanOf(c: ClusterRef, failing: string[], at: number, benchmark = 'aks-1.8'): ClusterScan {
  const n = { ...node(`aks-${c.name}-vmss000000`, 'nodepool1', failing), benchmark };
  n.checks = n.checks.map((ch) => ({ ...ch, benchmark }));
  return { ...scanned(c, [n], new Date(at).toISOString()), benchmark };
}

function failedScan(c: ClusterRef, at: number): ClusterScan {
  const iso = new Date(at).toISOString();
  return {
    cluster: c,
    benchmark: null,
    outcome: { kind: 'failed', reason: 'forbidden', detail: 'the run command was refused: 403 by policy' },
    startedAt: iso,
    finishedAt: iso,
  };
}

function walk(elements: CardElement[]): CardElement[] {
  return elements.flatMap((e) => [e, ...(e.type === 'Container' ? walk(e.items) : [])]);
}

/** The card's lines; every card posted in these tests must pass the Adaptive Cards parser and the 1.4 schema. */
function lines(body: unknown): string[] {
  expect(messageProblems(body as TeamsBody)).toEqual([]);
  const card = (body as TeamsBody).attachments[0]!.content;
  return walk(card.body).flatMap((e) => (e.type === 'TextBlock' ? [e.text] : e.type === 'FactSet' ? e.facts.map((f) => `${f.title}: ${f.value}`) : []));
}

const postsSince = (n: number) => rx.posts.slice(n);
const DEFAULT_ONLY = (): Record<string, string> => ({ TEAMS_WEBHOOK_URL: rx.url('/default') });

describe('one digest per run and channel', () => {
  it('a first scan is one baseline line per cluster; the next run lists new FAILs by topic, fixes, scan failures, with key-free links', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const [a, b, c] = [ref('aks-a'), ref('aks-b'), ref('aks-c', { resourceGroup: 'rg-web (prod)' })];
    const from = rx.posts.length;
    const r1 = await startRun(h, 'run-1', 3);
    await finish(h, r1, scanOf(a, ['3.2.4'], h.clock.t));
    await finish(h, r1, scanOf(b, ['3.2.4', '3.2.7'], h.clock.t));
    expect(postsSince(from)).toHaveLength(0);
    await finish(h, r1, scanOf(c, [], h.clock.t));
    const first = postsSince(from);
    expect(first).toHaveLength(1);
    const baseline = lines(first[0]!.body);
    expect(baseline.filter((l) => l.includes('baseline:'))).toHaveLength(3);
    expect(baseline.join('\n')).toMatch(/aks-b\S*: baseline: 2 FAIL, \d+ yours to fix/);
    expect(baseline.join('\n')).toContain('No new FAILs');

    h.clock.t += 24 * HOUR;
    const r2 = await startRun(h, 'run-2', 3);
    await finish(h, r2, scanOf(a, ['3.2.4', '3.2.1', '3.2.2'], h.clock.t));
    await finish(h, r2, scanOf(b, ['3.2.7'], h.clock.t));
    await finish(h, r2, failedScan(c, h.clock.t));
    const second = postsSince(from + 1);
    expect(second).toHaveLength(1);
    expect(second[0]!.path).toBe('/default');
    const text = lines(second[0]!.body).join('\n');
    expect(text).toContain('2 new FAILs on 1 cluster; 1 cluster fixed something');
    expect(text).toMatch(/\*\*3\.2\.1\*\* .*anonymous-auth.*pool nodepool1.*→ /);
    expect(text).toMatch(/Fixed: 3\.2\.4 /);
    expect(text).toMatch(/Newly failing to scan \(1\)/);
    expect(text).toContain('**forbidden**: the run command was refused: 403 by policy');
    expect(text).toContain('https://scanner.example.com/api/dashboard#/cluster/00000000-0000-0000-0000-000000000001/rg-web%20%28prod%29/aks-c');
    expect(JSON.stringify(second[0]!.body)).not.toContain('FUNCTION-KEY');
    // The run shows how it went: GET /api/scans/{id} reads this record.
    const run = await h.store.getRun(r2);
    expect(run?.alerts).toEqual([
      expect.objectContaining({
        channel: 'default',
        status: 'sent',
        attempts: 1,
        httpStatus: 202,
        newFails: 2,
        fixed: 1,
        clusters: 3,
        bytes: second[0]!.bytes,
      }),
    ]);
    expect(h.logs.join('\n')).not.toContain('SECRET-SIGNATURE');
  });

  it('two workers finishing the last two clusters at the same instant post exactly one digest', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const other: DigestDeps = { ...h.deps, store: az.sameTables(h.store) };
    const clusters = ['aks-r1', 'aks-r2', 'aks-r3', 'aks-r4'].map((n) => ref(n));
    for (let round = 0; round < 3; round++) {
      const from = rx.posts.length;
      const runId = await startRun(h, `run-race-${round}`, 4);
      await finish(h, runId, scanOf(clusters[0]!, ['3.2.4'], h.clock.t));
      await finish(h, runId, scanOf(clusters[1]!, ['3.2.4'], h.clock.t));
      const reports = await Promise.all([
        finish(h, runId, scanOf(clusters[2]!, ['3.2.4', `3.2.${round + 5}`], h.clock.t)),
        finish(h, runId, scanOf(clusters[3]!, ['3.2.7'], h.clock.t), undefined, other),
      ]);
      expect(postsSince(from), `round ${round}`).toHaveLength(1);
      expect(reports.flatMap((r) => r.posted)).toHaveLength(1);
      // A third worker (a redelivery) or housekeeping afterwards posts nothing more.
      await deliverRunDigests(runId, other);
      await housekeepAlerts(h.deps);
      expect(postsSince(from)).toHaveLength(1);
      h.clock.t += HOUR;
    }
  });

  it('redelivery, a concurrent run and a second digest never repeat a new FAIL; fixed then failing alerts again', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const a = ref('aks-dup');
    await finish(h, await startRun(h, 'run-d1', 1), scanOf(a, ['3.2.4'], h.clock.t));
    const from = rx.posts.length;
    h.clock.t += HOUR;
    // Two runs (the timer and a POST /api/scans) scan the cluster at once: both diff against run-d1.
    const timer = await startRun(h, 'run-d2', 1);
    const onDemand = await startRun(h, 'run-d3', 1, 'http');
    await finish(h, timer, scanOf(a, ['3.2.4', '3.2.1'], h.clock.t));
    await finish(h, onDemand, scanOf(a, ['3.2.4', '3.2.1'], h.clock.t + 1000));
    // The same message delivered again after its digest went out.
    await finish(h, timer, scanOf(a, ['3.2.4', '3.2.1'], h.clock.t));
    const posts = postsSince(from);
    const newLines = posts.flatMap((p) => lines(p.body)).filter((l) => l.startsWith('**3.2.1**'));
    expect(newLines).toHaveLength(1);
    expect(posts).toHaveLength(1);
    // The on-demand run's own digest had nothing new to say, so there was none.
    expect((await h.store.getRun(onDemand))?.alerts).toEqual([]);

    h.clock.t += HOUR;
    await finish(h, await startRun(h, 'run-d4', 1), scanOf(a, ['3.2.4'], h.clock.t));
    h.clock.t += HOUR;
    await finish(h, await startRun(h, 'run-d5', 1), scanOf(a, ['3.2.4', '3.2.1'], h.clock.t));
    const again = postsSince(from).slice(1);
    expect(again.map((p) => lines(p.body).some((l) => l.startsWith('Fixed: 3.2.1')))).toEqual([true, false]);
    expect(lines(again[1]!.body).filter((l) => l.startsWith('**3.2.1**'))).toHaveLength(1);
  });

  it('diffs against the last attempt that scanned, not a failed one between; FAILs the shipped default waivers cover post nothing', async () => {
    const store = await az.store();
    const h = harness(store, DEFAULT_ONLY());
    const a = ref('aks-base');
    await finish(h, await startRun(h, 'run-b1', 1), scanOf(a, [], h.clock.t));
    h.clock.t += HOUR;
    await finish(h, await startRun(h, 'run-b2', 1), failedScan(a, h.clock.t));
    h.clock.t += HOUR;
    const from = rx.posts.length;
    await finish(h, await startRun(h, 'run-b3', 1), scanOf(a, ['3.2.1'], h.clock.t));
    const posts = postsSince(from);
    expect(posts).toHaveLength(1);
    const text = lines(posts[0]!.body).join('\n');
    // Against run-b1's checks: a new FAIL, not a first scan's baseline.
    expect(text).toContain('1 new FAIL on 1 cluster');
    expect(text).toMatch(/Scanning again: 1 cluster/);
    expect(text).not.toContain('baseline:');
    // With the shipped defaults on, 3.2.1 and 3.2.4 (AKS manages the one, kube-bench misreads the other) are waived: no post.
    const withDefaults = harness(store, DEFAULT_ONLY(), effectiveWaivers(null, true));
    withDefaults.clock.t = h.clock.t + HOUR;
    const b = ref('aks-base-2');
    await finish(withDefaults, await startRun(withDefaults, 'run-b4', 1), scanOf(b, [], withDefaults.clock.t));
    withDefaults.clock.t += HOUR;
    const before = rx.posts.length;
    const r = await finish(withDefaults, await startRun(withDefaults, 'run-b5', 1), scanOf(b, ['3.2.1', '3.2.4'], withDefaults.clock.t));
    expect(r.built).toEqual([]);
    expect(postsSince(before)).toHaveLength(0);
    const [change] = await store.alerts.listChanges('run-b5');
    expect((change?.change as { waived: string[] }).waived.sort()).toEqual(['nodepool1|kubelet.anonymous-auth', 'nodepool1|kubelet.read-only-port']);
  });

  it('an on-demand run gets its own digest', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const a = ref('aks-od');
    await finish(h, await startRun(h, 'run-o1', 1), scanOf(a, [], h.clock.t));
    h.clock.t += HOUR;
    const from = rx.posts.length;
    await finish(h, await startRun(h, 'run-o2', 1, 'http'), scanOf(a, ['3.2.9'], h.clock.t));
    expect(postsSince(from)).toHaveLength(1);
    expect(lines(postsSince(from)[0]!.body)).toContain('Run: run-o2');
  });
});

describe('delivery: Teams limits, retries, deadlines', () => {
  it('429 with Retry-After, then 202: waits as told and records one sent digest', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const from = rx.posts.length;
    rx.script({ status: 429, headers: { 'retry-after': '7' } }, { status: 202 });
    await finish(h, await startRun(h, 'run-429', 1), scanOf(ref('aks-429'), ['3.2.4'], h.clock.t));
    expect(postsSince(from)).toHaveLength(1);
    expect(h.sleeps).toEqual([7000]);
    expect((await h.store.getRun('run-429'))?.alerts[0]).toMatchObject({ status: 'sent', attempts: 2, httpStatus: 202 });
  });

  it('500 three times: recorded as failed on the run, then sent by the next housekeeping tick', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const from = rx.posts.length;
    rx.script({ status: 500 }, { status: 500 }, { status: 500 });
    await finish(h, await startRun(h, 'run-500', 1), scanOf(ref('aks-500'), ['3.2.4'], h.clock.t));
    expect(postsSince(from)).toHaveLength(0);
    const failed = (await h.store.getRun('run-500'))?.alerts[0];
    expect(failed).toMatchObject({ channel: 'default', status: 'failed', attempts: 3, httpStatus: 500 });
    expect(failed?.detail).toContain('HTTP 500');
    expect(failed?.detail).not.toContain('SECRET');
    expect(Date.parse(failed!.nextAttemptAt!)).toBeGreaterThan(h.clock.t);
    // The API shows the failed post on the run, without the webhook's URL.
    const viaApi = await call(depsFor(h.store), '/scans/run-500');
    expect(viaApi.status).toBe(200);
    expect((viaApi.json as { alerts: unknown[] }).alerts).toMatchObject([{ channel: 'default', status: 'failed', attempts: 3, httpStatus: 500 }]);
    expect(viaApi.text).not.toContain('SECRET');
    // A tick before the retry is due does nothing.
    await housekeepAlerts(h.deps);
    expect(postsSince(from)).toHaveLength(0);
    h.clock.t += 5 * 60_000;
    await housekeepAlerts(h.deps);
    expect(postsSince(from)).toHaveLength(1);
    expect((await h.store.getRun('run-500'))?.alerts[0]).toMatchObject({ status: 'sent', attempts: 4, nextAttemptAt: null });
    expect(await h.store.alerts.listPending()).toEqual([]);
  });

  it('a webhook that keeps failing is retried for 24 hours, then given up loudly, never silently', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const from = rx.posts.length;
    rx.script(...Array.from({ length: 300 }, () => ({ status: 503 })));
    await finish(h, await startRun(h, 'run-503', 1), scanOf(ref('aks-503'), ['3.2.4'], h.clock.t));
    const gaps: number[] = [];
    // Half-hour ticks keep the test short; the gaps are what backoff decides, not the tick.
    for (let tick = 0; tick < 27 * 2; tick++) {
      h.clock.t += 30 * 60_000;
      const before = (await h.store.getRun('run-503'))?.alerts[0]?.attempts ?? 0;
      await housekeepAlerts(h.deps);
      if (((await h.store.getRun('run-503'))?.alerts[0]?.attempts ?? 0) > before) gaps.push(tick);
    }
    rx.script();
    expect(postsSince(from)).toHaveLength(0);
    const last = (await h.store.getRun('run-503'))?.alerts[0];
    expect(last?.status).toBe('gave-up');
    // Backoff: tries spread out (far fewer than one per tick), and the gaps grow.
    expect(gaps.length).toBeLessThan(27 * 2 - 10);
    expect(gaps.length).toBeGreaterThan(5);
    expect(gaps.at(-1)! - gaps.at(-2)!).toBeGreaterThan(gaps[1]! - gaps[0]!);
    expect(h.logs.filter((l) => l.startsWith('ERROR') && l.includes('given up'))).toHaveLength(1);
    expect(await h.store.alerts.listPending()).toEqual([]);
  });

  it('a run whose last clusters never report is posted by housekeeping once its deadline passes', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const from = rx.posts.length;
    const runId = await startRun(h, 'run-late', 3);
    await finish(h, runId, scanOf(ref('aks-l1'), ['3.2.4'], h.clock.t));
    h.clock.t += HOUR;
    await housekeepAlerts(h.deps);
    expect(postsSince(from)).toHaveLength(0);
    h.clock.t += 3 * HOUR;
    await housekeepAlerts(h.deps);
    expect(postsSince(from)).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('past its alert deadline with 2 cluster(s) not reported');
  });
});

describe("late clusters: after the run's digest was built", () => {
  const lateLines = (body: unknown): string[] => lines(body).filter((l) => /\*\*3\.2\.1\*\*/.test(l));
  /** A run whose first cluster reports in time; the deadline passes and housekeeping posts its digest. */
  async function pastDeadline(h: Harness, runId: string, queued: number, first: string): Promise<number> {
    const from = rx.posts.length;
    await startRun(h, runId, queued);
    await finish(h, runId, scanOf(ref(first), ['3.2.4'], h.clock.t));
    h.clock.t += 4 * HOUR;
    await housekeepAlerts(h.deps);
    expect(postsSince(from)).toHaveLength(1);
    return from;
  }

  it('a cluster that reports after the deadline digest is posted once, in a late digest holding only it', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const slow = ref('aks-slow');
    await finish(h, await startRun(h, 'run-late-0', 1), scanOf(slow, ['3.2.4'], h.clock.t));
    h.clock.t += 24 * HOUR;
    const runId = 'run-late-1';
    const from = await pastDeadline(h, runId, 2, 'aks-on-time');

    // The slow cluster finishes after the digest went out: its worker leaves it to housekeeping.
    const late = scanOf(slow, ['3.2.4', '3.2.1'], h.clock.t);
    expect((await finish(h, runId, late)).posted).toEqual([]);
    expect(postsSince(from)).toHaveLength(1);
    expect(await h.store.alerts.listPending()).toEqual([expect.objectContaining({ runId })]);
    h.clock.t += 5 * 60_000;
    await housekeepAlerts(h.deps);
    const posts = postsSince(from);
    expect(posts).toHaveLength(2);
    const text = lines(posts[1]!.body).join('\n');
    expect(text).toContain('aks-slow');
    expect(text).not.toContain('aks-on-time');
    expect(text).toMatch(/Late results: part 2/);
    expect(lateLines(posts[1]!.body)).toHaveLength(1);

    // Redelivered as is, then rescanned under another scan id: the FAIL's alert id keeps it from coming back.
    await finish(h, runId, late);
    await finish(h, runId, scanOf(slow, ['3.2.4', '3.2.1'], h.clock.t + 1000), `${runId}-aks-slow-retry`);
    for (let tick = 0; tick < 2; tick++) {
      h.clock.t += 5 * 60_000;
      await housekeepAlerts(h.deps);
    }
    expect(postsSince(from)).toHaveLength(2);
    expect((await h.store.getRun(runId))?.alerts.map((a) => [a.generation, a.channel, a.status, a.clusters])).toEqual([
      [1, 'default', 'sent', 1],
      [2, 'default', 'sent', 1],
    ]);
    expect(await h.store.alerts.listPending()).toEqual([]);
  });

  it('two late clusters racing, with workers and housekeepers racing for the claims, give one late digest', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const other: DigestDeps = { ...h.deps, store: az.sameTables(h.store) };
    const runId = 'run-late-race';
    const from = await pastDeadline(h, runId, 3, 'aks-first');
    await Promise.all([
      finish(h, runId, scanOf(ref('aks-late-a'), ['3.2.7'], h.clock.t)),
      finish(h, runId, scanOf(ref('aks-late-b'), ['3.2.9'], h.clock.t), undefined, other),
    ]);
    h.clock.t += 5 * 60_000;
    const reports = await Promise.all([housekeepAlerts(h.deps), housekeepAlerts(other), deliverRunDigests(runId, other, { late: true })]);
    const posts = postsSince(from);
    expect(posts).toHaveLength(2);
    expect(reports.flat().flatMap((r) => r.built)).toHaveLength(1);
    const text = lines(posts[1]!.body).join('\n');
    expect(text).toContain('aks-late-a');
    expect(text).toContain('aks-late-b');
    expect(text).not.toContain('aks-first');
    await housekeepAlerts(h.deps);
    expect(postsSince(from)).toHaveLength(2);
    expect((await h.store.getRun(runId))?.alerts.map((a) => [a.generation, a.clusters])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('a late builder that died after claiming its clusters is taken over with the same clusters, posted once', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const runId = 'run-late-dead';
    const from = await pastDeadline(h, runId, 3, 'aks-d1');
    await finish(h, runId, scanOf(ref('aks-d2'), ['3.2.7'], h.clock.t));
    // A housekeeper claims generation 2 and marks its rows, then dies before building.
    const progress = await h.store.alerts.runProgress(runId);
    const claim = await h.store.alerts.claimBuild(runId, progress!.build, new Date(h.clock.t), 5 * 60_000);
    expect(claim).toMatchObject({ generation: 2, marked: false });
    expect(await h.store.alerts.markChanges(runId, 2)).toBe(1);
    expect(await h.store.alerts.claimMarked(runId, claim!)).not.toBeNull();
    // A cluster reporting meanwhile is not slipped into the dead builder's generation.
    await finish(h, runId, scanOf(ref('aks-d3'), ['3.2.9'], h.clock.t));
    await housekeepAlerts(h.deps);
    expect(postsSince(from)).toHaveLength(1);
    h.clock.t += 6 * 60_000;
    await housekeepAlerts(h.deps);
    await housekeepAlerts(h.deps);
    const texts = postsSince(from).map((p) => lines(p.body).join('\n'));
    expect(texts).toHaveLength(3);
    expect(texts[1]).toContain('aks-d2');
    expect(texts[1]).not.toContain('aks-d3');
    expect(texts[2]).toContain('aks-d3');
    expect(texts[2]).toMatch(/Late results: part 3/);
  });
});

describe('content limits, routing, waivers, upgrades', () => {
  it('a run with more than fits stays under 20 KB and says "+N more"', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const clusters = Array.from({ length: 30 }, (_, i) =>
      ref(`aks-big-${String(i).padStart(2, '0')}`.padEnd(63, 'x'), { resourceGroup: `rg-${i}-`.padEnd(90, 'y') }),
    );
    const r1 = await startRun(h, 'run-big-1', clusters.length);
    for (const c of clusters) await finish(h, r1, scanOf(c, [], h.clock.t));
    h.clock.t += HOUR;
    const from = rx.posts.length;
    const r2 = await startRun(h, 'run-big-2', clusters.length);
    for (const c of clusters) await finish(h, r2, scanOf(c, ['3.2.1', '3.2.2', '3.2.4', '3.2.7', '3.2.9'], h.clock.t));
    const [post] = postsSince(from);
    expect(post!.bytes).toBeLessThanOrEqual(20_000);
    const text = lines(post!.body).join('\n');
    expect(text).toContain('150 new FAILs on 30 clusters');
    expect(text).toMatch(/\+\d+ more new FAILs, \+\d+ more clusters with changes/);
    expect((await h.store.getRun(r2))?.alerts[0]).toMatchObject({ newFails: 150, bytes: post!.bytes });
  }, 180_000);

  it("a regression past the stored change's 400 items: the digest counts all 450 and links to the cluster's view; the API drops none", async () => {
    const store = await az.store();
    const h = harness(store, DEFAULT_ONLY());
    // 50 pools × 9 kubelet checks: 450 (pool, topic) items.
    const wide = (c: ClusterRef, failing: string[], at: number): ClusterScan => {
      const nodes = Array.from({ length: 50 }, (_, i) => node(`aks-${c.name}-p${i}-vmss000000`, `pool${String(i).padStart(2, '0')}`, failing));
      return { ...scanned(c, nodes, new Date(at).toISOString()), benchmark: 'aks-1.8' };
    };
    const all = ['3.2.1', '3.2.2', '3.2.3', '3.2.4', '3.2.5', '3.2.6', '3.2.7', '3.2.8', '3.2.9'];
    const c = ref('aks-wide', { subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg-wide' });
    await finish(h, await startRun(h, 'run-wide-1', 1), wide(c, [], h.clock.t), 'scan-wide-1');
    h.clock.t += HOUR;
    const from = rx.posts.length;
    await finish(h, await startRun(h, 'run-wide-2', 1), wide(c, all, h.clock.t), 'scan-wide-2');
    const [post] = postsSince(from);
    const text = lines(post!.body).join('\n');
    expect(text).toContain('450 new FAILs on 1 cluster');
    expect(text).toMatch(
      /\[\+\d+ more new FAILs on this cluster\]\(https:\/\/scanner\.example\.com\/api\/dashboard#\/cluster\/00000000-0000-0000-0000-000000000001\/rg-wide\/aks-wide\)/,
    );
    expect((await store.getRun('run-wide-2'))?.alerts[0]).toMatchObject({ newFails: 450 });
    const [stored] = await store.alerts.listChanges('run-wide-2');
    expect((stored?.change as { changes: { newFailures: unknown[] } }).changes.newFailures).toHaveLength(400);
    // The link's view reads the diff route, which reads the stored scans: every item is there.
    const diff = (await call(depsFor(store), '/clusters/00000000-0000-0000-0000-000000000001/rg-wide/aks-wide/diff')).json as { newFailures: unknown[] };
    expect(diff.newFailures).toHaveLength(450);
  }, 180_000);

  it('routes send each cluster to its team; unmatched clusters go to the default; a broken route is off and its clusters fall through', async () => {
    const env = {
      ALERT_ROUTES: 'payments=tag:team=payments; web=resourceGroup:rg-web-*; lab=subscription:00000000-0000-0000-0000-00000000000f',
      ALERT_ROUTE_PAYMENTS_URL: rx.url('/payments'),
      ALERT_ROUTE_WEB_URL: rx.url('/web'),
      ALERT_ROUTE_LAB_URL: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/lab)',
      TEAMS_WEBHOOK_URL: rx.url('/default'),
    };
    const h = harness(await az.store(), env);
    expect(h.deps.alerts.routing.warnings).toEqual([
      expect.stringMatching(/^alert route "lab" is turned off: ALERT_ROUTE_LAB_URL is an unresolved Key Vault reference/),
    ]);
    const clusters = [
      ref('aks-pay', { tags: { team: 'payments' } }),
      ref('aks-web1', { resourceGroup: 'rg-web-eu' }),
      ref('aks-web2', { resourceGroup: 'rg-web-us' }),
      ref('aks-lab', { subscriptionId: '00000000-0000-0000-0000-00000000000f' }),
      ref('aks-other'),
    ];
    const from = rx.posts.length;
    const runId = await startRun(h, 'run-routes', clusters.length);
    for (const c of clusters) await finish(h, runId, scanOf(c, ['3.2.4'], h.clock.t));
    const byPath = Object.fromEntries(postsSince(from).map((p) => [p.path, lines(p.body).filter((l) => l.includes('baseline:')).length]));
    expect(byPath).toEqual({ '/payments': 1, '/web': 2, '/default': 2 });
    expect((await h.store.getRun(runId))?.alerts.map((a) => [a.channel, a.status, a.clusters])).toEqual([
      ['default', 'sent', 2],
      ['payments', 'sent', 1],
      ['web', 'sent', 2],
    ]);
  });

  it('a waiver that expires between two runs is announced once, in the run after it expired', async () => {
    const waivers = parseWaivers(
      [
        'waivers:',
        '  - id: kubelet-ro-port-legacy',
        '    topic: kubelet.read-only-port',
        '    reason: legacy monitoring agent reads the kubelet read-only port',
        '    owner: platform-team',
        '    scope: all',
        '    expires: 2026-11-20',
      ].join('\n'),
      'waivers.yaml',
    );
    const h = harness(await az.store(), DEFAULT_ONLY(), waivers);
    const a = ref('aks-w');
    const from = rx.posts.length;
    await finish(h, await startRun(h, 'run-w1', 1), scanOf(a, ['3.2.4'], h.clock.t));
    h.clock.t += 24 * HOUR;
    await finish(h, await startRun(h, 'run-w2', 1), scanOf(a, ['3.2.4'], h.clock.t));
    h.clock.t += 24 * HOUR;
    await finish(h, await startRun(h, 'run-w3', 1), scanOf(a, ['3.2.4'], h.clock.t));
    const posts = postsSince(from).map((p) => lines(p.body).join('\n'));
    // run-w1: the baseline; run-w2: the expiry; run-w3: nothing new, no post.
    expect(posts).toHaveLength(2);
    expect(posts[0]).not.toContain('kubelet-ro-port-legacy');
    expect(posts[1]).toContain('Waivers expired since the last run (1)');
    expect(posts[1]).toMatch(/\*\*kubelet-ro-port-legacy\*\* \(kubelet\.read-only-port\) expired 2026-11-20, owner platform-team/);
  });

  it('an upgrade across benchmarks (1.31 on aks-1.7 to 1.32 on aks-1.8) is not read as new FAILs', async () => {
    const h = harness(await az.store(), DEFAULT_ONLY());
    const before = ref('aks-up', { kubernetesVersion: '1.31.2' });
    const after = { ...before, kubernetesVersion: '1.32.1' };
    await finish(h, await startRun(h, 'run-u1', 1), scanOf(before, ['3.2.4', '3.2.7'], h.clock.t, 'aks-1.7'));
    h.clock.t += 24 * HOUR;
    const from = rx.posts.length;
    const r = await finish(h, await startRun(h, 'run-u2', 1), scanOf(after, ['3.2.4', '3.2.7'], h.clock.t, 'aks-1.8'));
    expect(postsSince(from)).toHaveLength(0);
    expect(r.built).toEqual([]);
  });
});
