/**
 * The HTTPS ARM simulator: routes, checks (auth, api-version, existence), faults, throttling,
 * and the run-command long-running operation, over one fleet spec.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArmError } from './arm-errors.js';
import { armErrors } from './arm-errors.js';
import type { Json } from './arm-bodies.js';
import { clusterBody, clusterId, graphRow, subscriptionBody } from './arm-bodies.js';
import type { ClusterSpec, Fault, FleetSpec, OperationName, SubscriptionFault, SubscriptionSpec } from './fleet-spec.js';
import type { Rng } from './random.js';
import { createRng, hash32, hexId } from './random.js';
import type { CommandOutcome } from './run-logs.js';
import { runOnCluster } from './run-logs.js';
import type { BucketSpec } from './throttle.js';
import { AKS_GET, AKS_LIST, AKS_OPERATION_STATUS, AKS_OTHER, ARM_READS, ARM_WRITES, Throttler } from './throttle.js';
import { makeLoopbackCert } from './tls.js';

/** Stable ContainerService versions the SDK may send: 25.3.0 defaults to 2026-04-01, 25.5.0 to 2026-06-01. */
export const CONTAINER_SERVICE_API_VERSIONS = ['2025-10-01', '2026-04-01', '2026-06-01'] as const;
/** @azure/arm-resources-subscriptions 2.x sends 2022-12-01; 2019-11-01 is the example's. */
export const SUBSCRIPTIONS_API_VERSIONS = ['2016-06-01', '2019-11-01', '2020-01-01', '2021-01-01', '2022-12-01'] as const;
/** @azure/arm-resourcegraph 4.x sends 2021-03-01; 2024-04-01 is the example's. */
export const RESOURCE_GRAPH_API_VERSIONS = ['2021-03-01', '2022-10-01', '2024-04-01'] as const;

const RESULT_RETENTION_MS = 3600_000;
const MAX_COMMANDS = 5000;
/** The request log keeps the newest this many; a test never gets near it, a day-long demo would. */
const MAX_RECORDED = 200_000;

/** Azure Resource Graph: about 15 queries per 5 s per user (run-command.md). */
const GRAPH_QUOTA: BucketSpec = { capacity: 15, perSecond: 3 };

export interface SimulatorOptions {
  fleet: FleetSpec;
  /** 0 or omitted: a free port. */
  port?: number;
  seed?: number;
  /** Items per page for every paged list (ARM lists, Resource Graph). Default 100. */
  pageSize?: number;
  /** Scales every throttling bucket and its refill rate; 1 is Azure's documented size. */
  throttleScale?: number;
  /** How long a run-command takes before its result is ready. Default 2000 ms. */
  commandDurationMs?: number;
  /** Extra random duration, 0..jitter ms, seeded. Default 0. */
  commandJitterMs?: number;
  /** Retry-After on every 202, 429 and 503. Omitted: 1 s on 202s, the bucket's refill time on throttling. */
  retryAfterSeconds?: number;
  /** Milliseconds since the epoch; injectable so tests can move time. Default Date.now. */
  clock?: () => number;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  apiVersion: string | null;
  /** 0 when the simulator reset the connection instead of answering. */
  status: number;
  operation: OperationName | null;
  /** clock() when the request arrived. */
  time: number;
  subscriptionId: string | null;
  /** The cluster's resource id, when the request targets one. */
  clusterId: string | null;
  /** The ARM error code, for error responses. */
  errorCode: string | null;
  /** The injected fault that decided the response, if any. */
  fault: string | null;
}

export interface RunningSimulator {
  endpoint: string;
  ca: string;
  caPath: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

interface Command {
  id: string;
  cluster: ClusterSpec;
  apiVersion: string;
  startedAt: number;
  finishAt: number;
  outcome: CommandOutcome;
}

interface Route {
  operation: OperationName;
  method: 'GET' | 'POST';
  family: 'subscriptions' | 'containerservice' | 'graph';
  subscriptionId?: string;
  resourceGroup?: string;
  clusterName?: string;
  commandId?: string;
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: Json | undefined,
    readonly headers: Record<string, string> = {},
  ) {}
}

class Reset {}

function errorReply(e: ArmError): Reply {
  return new Reply(e.status, { error: { code: e.code, message: e.message } }, e.headers ?? {});
}

/** Matches the ARM path case-insensitively, as ARM does. */
function route(method: string, segments: string[]): Route | ArmError {
  const s = segments.map((x) => x.toLowerCase());
  const raw = segments;
  const expect = (m: Route['method'], r: Omit<Route, 'method'>): Route | ArmError => (method === m ? { ...r, method: m } : armErrors.methodNotAllowed(method));
  if (s[0] === 'providers' && s[1] === 'microsoft.resourcegraph' && s[2] === 'resources' && s.length === 3) {
    return expect('POST', { operation: 'Resources_Query', family: 'graph' });
  }
  if (s[0] !== 'subscriptions') return armErrors.pathNotFound('/' + raw.join('/'));
  if (s.length === 1) return expect('GET', { operation: 'Subscriptions_List', family: 'subscriptions' });
  const subscriptionId = raw[1] ?? '';
  if (s.length === 2) return expect('GET', { operation: 'Subscriptions_Get', family: 'subscriptions', subscriptionId });
  const isProvider = (i: number): boolean => s[i] === 'providers' && s[i + 1] === 'microsoft.containerservice' && s[i + 2] === 'managedclusters';
  if (isProvider(2) && s.length === 5) return expect('GET', { operation: 'ManagedClusters_List', family: 'containerservice', subscriptionId });
  if (s[2] === 'resourcegroups' && s.length >= 7 && isProvider(4)) {
    const base = { family: 'containerservice' as const, subscriptionId, resourceGroup: raw[3] ?? '' };
    if (s.length === 7) return expect('GET', { ...base, operation: 'ManagedClusters_ListByResourceGroup' });
    const clusterName = raw[7] ?? '';
    if (s.length === 8) return expect('GET', { ...base, operation: 'ManagedClusters_Get', clusterName });
    if (s.length === 9 && s[8] === 'runcommand') return expect('POST', { ...base, operation: 'ManagedClusters_RunCommand', clusterName });
    if (s.length === 10 && s[8] === 'commandresults') {
      return expect('GET', { ...base, operation: 'ManagedClusters_GetCommandResult', clusterName, commandId: raw[9] ?? '' });
    }
  }
  return armErrors.pathNotFound('/' + raw.join('/'));
}

const CLUSTER_OPS: ReadonlySet<OperationName> = new Set(['ManagedClusters_Get', 'ManagedClusters_RunCommand', 'ManagedClusters_GetCommandResult']);

function encodeSkip(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}
function decodeSkip(token: string | null): number {
  if (!token) return 0;
  try {
    const v = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown }).o;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : -1;
  } catch {
    return -1;
  }
}

/** The principal's object id, from the token's `oid` when it is a JWT; never the token itself. */
function principalOf(auth: string): string {
  const token = auth.slice('Bearer '.length);
  const part = token.split('.')[1];
  if (part) {
    try {
      const oid = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { oid?: unknown }).oid;
      if (typeof oid === 'string') return oid;
    } catch {
      // not a JWT: fall through
    }
  }
  const h = hash32(token).toString(16).padStart(8, '0');
  return `${h}-0000-4000-8000-000000000000`;
}

export async function startArmSimulator(opts: SimulatorOptions): Promise<RunningSimulator> {
  const fleet = opts.fleet;
  const clock = opts.clock ?? Date.now;
  const seed = opts.seed ?? 1;
  const rng: Rng = createRng(seed);
  const pageSize = Math.max(1, opts.pageSize ?? 100);
  const throttler = new Throttler(opts.throttleScale ?? 1, clock);
  const requests: RecordedRequest[] = [];
  const commands = new Map<string, Command>();
  const faultHits = new Map<string, number>();
  const byKey = new Map<string, ClusterSpec>();
  for (const c of fleet.clusters) byKey.set(`${c.subscriptionId}/${c.resourceGroup}/${c.name}`.toLowerCase(), c);
  const subs = new Map(fleet.subscriptions.map((s) => [s.subscriptionId.toLowerCase(), s]));
  const retryAfter = (fallback: number): number => opts.retryAfterSeconds ?? fallback;
  let endpoint = '';

  const cert = await makeLoopbackCert();

  const findCluster = (r: Route): ClusterSpec | undefined => byKey.get(`${r.subscriptionId}/${r.resourceGroup}/${r.clusterName}`.toLowerCase());

  /** Takes a token from every bucket the request counts against; the first refusal wins. */
  const throttle = (r: Route, rec: RecordedRequest, headers: Record<string, string>): ArmError | null => {
    const sub = r.subscriptionId?.toLowerCase();
    if (r.family === 'graph') {
      const t = throttler.take('graph', GRAPH_QUOTA);
      headers['x-ms-user-quota-remaining'] = String(t.remaining);
      headers['x-ms-user-quota-resets-after'] = '00:00:05';
      return t.ok ? null : armErrors.rpThrottled(retryAfter(Math.max(1, Math.ceil(t.waitMs / 1000))));
    }
    const write = r.method === 'POST';
    const armKey = `${write ? 'writes' : 'reads'}:${sub ?? 'tenant'}`;
    const arm = throttler.take(armKey, write ? ARM_WRITES : ARM_READS);
    headers[`x-ms-ratelimit-remaining-${sub ? 'subscription' : 'tenant'}-${write ? 'writes' : 'reads'}`] = String(arm.remaining);
    if (!arm.ok) return armErrors.armThrottled(write ? 'write' : 'read', r.subscriptionId ?? 'tenant', retryAfter(Math.max(1, Math.ceil(arm.waitMs / 1000))));
    if (r.family !== 'containerservice') return null;
    let rp;
    if (r.operation === 'ManagedClusters_List' || r.operation === 'ManagedClusters_ListByResourceGroup') rp = throttler.take(`aks-list:${sub}`, AKS_LIST);
    else if (r.operation === 'ManagedClusters_Get') rp = throttler.take(`aks-get:${rec.clusterId?.toLowerCase()}`, AKS_GET);
    else if (r.operation === 'ManagedClusters_GetCommandResult') rp = throttler.take(`aks-op:${sub}`, AKS_OPERATION_STATUS);
    else rp = throttler.take(`aks-other:${sub}`, AKS_OTHER);
    return rp.ok ? null : armErrors.rpThrottled(retryAfter(Math.max(1, Math.ceil(rp.waitMs / 1000))));
  };

  /** The first active transport/HTTP fault of the cluster for this operation, counted against its `times`. */
  const clusterFault = (c: ClusterSpec, op: OperationName): { fault: Fault; index: number } | null => {
    for (let i = 0; i < c.faults.length; i++) {
      const f = c.faults[i] as Fault;
      if (f.kind !== 'throttle' && f.kind !== 'server-error' && f.kind !== 'reset') continue;
      if (f.operation ? f.operation !== op : !CLUSTER_OPS.has(op)) continue;
      const key = `${clusterId(c)}#${i}`;
      const hits = faultHits.get(key) ?? 0;
      if (f.times !== undefined && hits >= f.times) continue;
      faultHits.set(key, hits + 1);
      return { fault: f, index: i };
    }
    return null;
  };

  const subscriptionFault = (sub: SubscriptionSpec, op: OperationName): SubscriptionFault | null => {
    for (let i = 0; i < sub.faults.length; i++) {
      const f = sub.faults[i] as SubscriptionFault;
      if (f.operation && f.operation !== op) continue;
      const key = `/subscriptions/${sub.subscriptionId}#${i}`;
      const hits = faultHits.get(key) ?? 0;
      if (f.times !== undefined && hits >= f.times) continue;
      faultHits.set(key, hits + 1);
      return f;
    }
    return null;
  };

  const countedFault = (c: ClusterSpec, kind: Fault['kind']): Fault | null => {
    for (let i = 0; i < c.faults.length; i++) {
      const f = c.faults[i] as Fault;
      if (f.kind !== kind) continue;
      const t = 'times' in f ? f.times : undefined;
      const key = `${clusterId(c)}#${i}`;
      const hits = faultHits.get(key) ?? 0;
      if (t !== undefined && hits >= t) continue;
      faultHits.set(key, hits + 1);
      return f;
    }
    return null;
  };

  const page = (items: Json[], skip: number, nextBase: string): Json => {
    const slice = items.slice(skip, skip + pageSize);
    const body: Record<string, Json> = { value: slice };
    if (skip + pageSize < items.length) body['nextLink'] = `${nextBase}&$skipToken=${encodeSkip(skip + pageSize)}`;
    return body;
  };

  const handle = async (req: IncomingMessage, url: URL, rec: RecordedRequest, headers: Record<string, string>): Promise<Reply | Reset> => {
    const auth = req.headers.authorization ?? '';
    const segments = url.pathname
      .split('/')
      .filter(Boolean)
      .map((x) => {
        try {
          return decodeURIComponent(x);
        } catch {
          return x;
        }
      });
    const r = route(req.method ?? 'GET', segments);
    if ('operation' in r) rec.operation = r.operation;
    // ARM authenticates before anything else, so a bad path without a token is still a 401.
    if (!/^Bearer \S+/.test(auth)) {
      const e = armErrors.unauthenticated();
      return new Reply(
        e.status,
        { error: { code: e.code, message: e.message } },
        {
          'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${fleet.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
        },
      );
    }
    if (!('operation' in r)) return errorReply(r);
    rec.subscriptionId = r.subscriptionId ?? null;

    const v = url.searchParams.get('api-version');
    if (!v) return errorReply(armErrors.missingApiVersion());
    const [supported, resourceType] =
      r.family === 'containerservice'
        ? [CONTAINER_SERVICE_API_VERSIONS, 'managedClusters']
        : r.family === 'graph'
          ? [RESOURCE_GRAPH_API_VERSIONS, 'resources']
          : [SUBSCRIPTIONS_API_VERSIONS, 'subscriptions'];
    if (!(supported as readonly string[]).includes(v)) return errorReply(armErrors.invalidApiVersion(v, resourceType, supported));

    if (r.subscriptionId !== undefined && !subs.has(r.subscriptionId.toLowerCase())) return errorReply(armErrors.subscriptionNotFound(r.subscriptionId));
    if (r.resourceGroup !== undefined) {
      const rg = r.resourceGroup.toLowerCase();
      const sub = r.subscriptionId?.toLowerCase();
      if (!fleet.clusters.some((c) => c.subscriptionId.toLowerCase() === sub && c.resourceGroup.toLowerCase() === rg)) {
        return errorReply(armErrors.resourceGroupNotFound(r.resourceGroup));
      }
    }
    let cluster: ClusterSpec | undefined;
    if (r.clusterName !== undefined) {
      cluster = findCluster(r);
      if (!cluster) return errorReply(armErrors.clusterNotFound(r.resourceGroup ?? '', r.clusterName));
      rec.clusterId = clusterId(cluster);
    }

    const throttled = throttle(r, rec, headers);
    if (throttled) {
      rec.fault = 'throttle-bucket';
      return errorReply(throttled);
    }

    const rates = fleet.randomFaults;
    if (rates) {
      const x = rng.next();
      if (x < rates.throttle) {
        rec.fault = 'random-throttle';
        return errorReply(armErrors.tooManyRequests(retryAfter(1)));
      }
      if (x < rates.throttle + rates.serverError) {
        rec.fault = 'random-server-error';
        return errorReply(rng.chance(0.5) ? armErrors.internal(randomUUID()) : armErrors.unavailable(retryAfter(1)));
      }
      if (x < rates.throttle + rates.serverError + rates.reset) {
        rec.fault = 'random-reset';
        return new Reset();
      }
    }

    const subSpec = r.subscriptionId !== undefined ? subs.get(r.subscriptionId.toLowerCase()) : undefined;
    if (subSpec) {
      const f = subscriptionFault(subSpec, r.operation);
      if (f) {
        rec.fault = `subscription-${f.kind}`;
        if (f.kind === 'reset') return new Reset();
        if (f.kind === 'throttle') return errorReply(armErrors.tooManyRequests(retryAfter(1)));
        if (f.kind === 'server-error') return errorReply(f.status === 503 ? armErrors.unavailable(retryAfter(1)) : armErrors.internal(randomUUID()));
        const action =
          r.operation === 'ManagedClusters_RunCommand'
            ? 'Microsoft.ContainerService/managedClusters/runCommand/action'
            : 'Microsoft.ContainerService/managedClusters/read';
        return errorReply(armErrors.authorizationFailed(principalOf(auth), action, `/subscriptions/${subSpec.subscriptionId}`));
      }
    }

    if (cluster) {
      const hit = clusterFault(cluster, r.operation);
      if (hit) {
        rec.fault = hit.fault.kind;
        if (hit.fault.kind === 'reset') return new Reset();
        if (hit.fault.kind === 'throttle') return errorReply(armErrors.tooManyRequests(retryAfter(1)));
        if (hit.fault.kind === 'server-error')
          return errorReply(hit.fault.status === 503 ? armErrors.unavailable(retryAfter(1)) : armErrors.internal(randomUUID()));
      }
      if (cluster.faults.some((f) => f.kind === 'deleted')) {
        rec.fault = 'deleted';
        return errorReply(armErrors.clusterNotFound(cluster.resourceGroup, cluster.name));
      }
      const forbidden = cluster.faults.find((f) => f.kind === 'forbidden' && f.operation === r.operation);
      if (forbidden) {
        rec.fault = 'forbidden';
        const action =
          r.operation === 'ManagedClusters_RunCommand'
            ? 'Microsoft.ContainerService/managedClusters/runCommand/action'
            : r.operation === 'ManagedClusters_GetCommandResult'
              ? 'Microsoft.ContainerService/managedClusters/commandResults/read'
              : 'Microsoft.ContainerService/managedClusters/read';
        return errorReply(armErrors.authorizationFailed(principalOf(auth), action, clusterId(cluster)));
      }
    }

    switch (r.operation) {
      case 'Subscriptions_List': {
        const items = fleet.subscriptions.map((s) => subscriptionBody(s, fleet.tenantId));
        const skip = decodeSkip(url.searchParams.get('$skipToken'));
        if (skip < 0) return errorReply(armErrors.badRequest('InvalidSkipToken', 'The $skipToken is not valid.'));
        return new Reply(200, page(items, skip, `${endpoint}/subscriptions?api-version=${v}`));
      }
      case 'Subscriptions_Get': {
        const s = subs.get((r.subscriptionId ?? '').toLowerCase());
        return new Reply(200, s ? subscriptionBody(s, fleet.tenantId) : null);
      }
      case 'ManagedClusters_List':
      case 'ManagedClusters_ListByResourceGroup': {
        const sub = (r.subscriptionId ?? '').toLowerCase();
        const rg = r.resourceGroup?.toLowerCase();
        const items = fleet.clusters
          .filter((c) => c.subscriptionId.toLowerCase() === sub && (rg === undefined || c.resourceGroup.toLowerCase() === rg))
          .map((c) => clusterBody(c, fleet.tenantId, true));
        const skip = decodeSkip(url.searchParams.get('$skipToken'));
        if (skip < 0) return errorReply(armErrors.badRequest('InvalidSkipToken', 'The $skipToken is not valid.'));
        const base = rg === undefined ? `/subscriptions/${r.subscriptionId}` : `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}`;
        return new Reply(200, page(items, skip, `${endpoint}${base}/providers/Microsoft.ContainerService/managedClusters?api-version=${v}`));
      }
      case 'ManagedClusters_Get':
        return new Reply(200, clusterBody(cluster as ClusterSpec, fleet.tenantId, false));
      case 'ManagedClusters_RunCommand':
        return runCommand(req, cluster as ClusterSpec, v, rec);
      case 'ManagedClusters_GetCommandResult':
        return commandResult(cluster as ClusterSpec, r.commandId ?? '', v);
      case 'Resources_Query':
        return graphQuery(req);
    }
  };

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      // Run-command contexts are small zips; anything this large is a client bug.
      if (size > 8 * 1024 * 1024) throw new Error('request body larger than 8 MiB');
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? (JSON.parse(text) as unknown) : undefined;
  };

  const locationOf = (c: ClusterSpec, id: string, v: string): string => `${endpoint}${clusterId(c, 'resourcegroups')}/commandResults/${id}?api-version=${v}`;

  const runCommand = async (req: IncomingMessage, c: ClusterSpec, v: string, rec: RecordedRequest): Promise<Reply> => {
    let body: unknown;
    try {
      body = await readBody(req);
    } catch (e) {
      return errorReply(armErrors.badRequest('InvalidRequestContent', `The request content is not valid JSON: ${e instanceof Error ? e.message : String(e)}`));
    }
    const b = (body ?? {}) as { command?: unknown; context?: unknown; clusterToken?: unknown };
    if (typeof b.command !== 'string' || b.command.trim() === '') {
      return errorReply(armErrors.badRequest('InvalidParameter', "The value of parameter 'command' is invalid: it must be a non-empty string."));
    }
    if (b.context !== undefined && b.context !== null && typeof b.context !== 'string') {
      return errorReply(armErrors.badRequest('InvalidParameter', "The value of parameter 'context' is invalid: it must be a base64 string."));
    }
    if (c.powerState === 'Stopped') return errorReply(armErrors.clusterStopped(c.name));
    if (c.provisioningState !== 'Succeeded') return errorReply(armErrors.notSucceeded(c.name, c.provisioningState));
    if (c.runCommandDisabled) return errorReply(armErrors.runCommandDisabled(c.name));
    if (c.aad?.managed && (typeof b.clusterToken !== 'string' || b.clusterToken === '')) {
      rec.fault = 'missing-cluster-token';
      return errorReply(armErrors.missingClusterToken());
    }
    const id = hexId(rng);
    if (countedFault(c, 'not-started')) {
      rec.fault = 'not-started';
      return errorReply(armErrors.kubernetesPerformance(id));
    }
    const slow = c.faults.find((f) => f.kind === 'slow');
    const base = slow && slow.kind === 'slow' ? slow.durationMs : (opts.commandDurationMs ?? 2000);
    const jitter = opts.commandJitterMs ? rng.int(0, opts.commandJitterMs) : 0;
    const now = clock();
    const outcome = runOnCluster(c, { command: b.command, context: typeof b.context === 'string' ? b.context : undefined }, createRng(hash32(id) ^ seed));
    // A long-running demo must not keep every result: drop those finished an hour ago, as ARM eventually does.
    for (const [k, cmd] of commands) {
      if (cmd.finishAt > now - RESULT_RETENTION_MS && commands.size < MAX_COMMANDS) break;
      commands.delete(k);
    }
    commands.set(id, { id, cluster: c, apiVersion: v, startedAt: now, finishAt: now + base + jitter, outcome });
    return new Reply(202, undefined, { Location: locationOf(c, id, v), 'Retry-After': String(retryAfter(1)) });
  };

  const commandResult = (c: ClusterSpec, id: string, v: string): Reply => {
    const cmd = commands.get(id);
    if (!cmd || cmd.cluster !== c) return errorReply(armErrors.commandNotFound(id));
    if (clock() < cmd.finishAt) return new Reply(202, undefined, { Location: locationOf(c, id, v), 'Retry-After': String(retryAfter(1)) });
    const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const o = cmd.outcome;
    const properties: Record<string, Json> =
      o.provisioningState === 'failed'
        ? { provisioningState: 'failed', startedAt: iso(cmd.startedAt), finishedAt: iso(cmd.finishAt), reason: o.reason }
        : { provisioningState: 'succeeded', exitCode: o.exitCode, startedAt: iso(cmd.startedAt), finishedAt: iso(cmd.finishAt), logs: o.logs };
    return new Reply(200, { id, properties });
  };

  const graphQuery = async (req: IncomingMessage): Promise<Reply> => {
    let body: unknown;
    try {
      body = await readBody(req);
    } catch (e) {
      return errorReply(armErrors.badRequest('InvalidRequestContent', `The request content is not valid JSON: ${e instanceof Error ? e.message : String(e)}`));
    }
    const q = (body ?? {}) as { query?: unknown; subscriptions?: unknown; options?: { $top?: unknown; $skip?: unknown; $skipToken?: unknown } };
    if (typeof q.query !== 'string' || q.query.trim() === '')
      return errorReply(armErrors.badRequest('BadRequest', 'Please provide below info when asking for support: query is required.'));
    const scope = Array.isArray(q.subscriptions) ? new Set(q.subscriptions.map((s) => String(s).toLowerCase())) : null;
    // Only the cluster inventory query is understood; any other query has no rows here.
    const rows = /microsoft\.containerservice\/managedclusters/i.test(q.query)
      ? fleet.clusters.filter((c) => !scope || scope.has(c.subscriptionId.toLowerCase())).map((c) => graphRow(c, fleet))
      : [];
    const top = typeof q.options?.$top === 'number' ? Math.min(1000, Math.max(1, q.options.$top)) : 1000;
    const size = Math.min(top, pageSize);
    let skip = typeof q.options?.$skip === 'number' ? q.options.$skip : 0;
    if (typeof q.options?.$skipToken === 'string') {
      skip = decodeSkip(q.options.$skipToken);
      if (skip < 0) return errorReply(armErrors.badRequest('InvalidSkipToken', 'The $skipToken is not valid.'));
    }
    const data = rows.slice(skip, skip + size);
    const out: Record<string, Json> = { totalRecords: rows.length, count: data.length, resultTruncated: 'false', facets: [], data };
    if (skip + size < rows.length) out['$skipToken'] = encodeSkip(skip + size);
    return new Reply(200, out);
  };

  const server = createServer({ key: cert.key, cert: cert.cert }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      status: 0,
      operation: null,
      time: clock(),
      subscriptionId: null,
      clusterId: null,
      errorCode: null,
      fault: null,
    };
    const headers: Record<string, string> = {};
    handle(req, url, rec, headers)
      .catch((e: unknown) => errorReply(armErrors.internal(`simulator: ${e instanceof Error ? e.message : String(e)}`)))
      .then((reply) => {
        requests.push(rec);
        if (requests.length > MAX_RECORDED) requests.splice(0, requests.length - MAX_RECORDED);
        if (reply instanceof Reset) {
          req.socket.destroy();
          return;
        }
        const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
        rec.status = reply.status;
        if (reply.status >= 400 && reply.body && typeof reply.body === 'object' && !Array.isArray(reply.body)) {
          const err = (reply.body as { error?: { code?: string } }).error;
          rec.errorCode = err?.code ?? null;
        }
        const requestId = randomUUID();
        res.writeHead(reply.status, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(text)),
          'x-ms-request-id': requestId,
          'x-ms-correlation-request-id': String(req.headers['x-ms-correlation-request-id'] ?? requestId),
          ...headers,
          ...reply.headers,
        });
        res.end(text);
      })
      .catch(() => req.socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `https://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'aksfs-sim-'));
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, cert.cert);

  return {
    endpoint,
    ca: cert.cert,
    caPath,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
