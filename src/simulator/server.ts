/**
 * The HTTPS ARM simulator over one fleet spec: checks each request in ARM's order (auth,
 * api-version, existence, throttling, injected faults), then answers it. Routing is router.ts,
 * faults fault-injector.ts, run-commands in flight command-store.ts.
 */
import { errorMessage } from '../model/errors.js';
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
import { CommandStore } from './command-store.js';
import { FaultInjector, RESET } from './fault-injector.js';
import type { ClusterSpec, FleetSpec, OperationName } from './fleet-spec.js';
import type { Rng } from './random.js';
import { createRng, hash32, hexId } from './random.js';
import type { Route } from './router.js';
import { checkApiVersion, pathSegments, route } from './router.js';
import type { CommandOutcome } from './run-logs.js';
import { runOnCluster } from './run-logs.js';
import { scanEnvFromContext } from '../scan/incluster/contract.js';
import type { JobSet } from './job-sets.js';
import { JobSets } from './job-sets.js';
import type { CommandResultBucket } from './throttle.js';
import { Throttler, throttleRequest } from './throttle.js';
import { makeLoopbackCert } from './tls.js';

export { CONTAINER_SERVICE_API_VERSIONS, RESOURCE_GRAPH_API_VERSIONS, SUBSCRIPTIONS_API_VERSIONS } from './router.js';

/** The request log keeps the newest this many; a test never gets near it, a day-long demo would. */
const MAX_RECORDED = 200_000;

export interface SimulatorOptions {
  fleet: FleetSpec;
  /** 0 or omitted: a free port. */
  port?: number;
  seed?: number;
  /** Items per page for every paged list (ARM lists, Resource Graph). Default 100. */
  pageSize?: number;
  /** Scales every throttling bucket and its refill rate; 1 is Azure's documented size. */
  throttleScale?: number;
  /** Azure's clock runs this many times faster for the buckets (refill only; sizes stay Azure's). Default 1. */
  throttleTimeScale?: number;
  /** Which AKS bucket commandResults polls count against (throttle.ts). Default 'operation-status'. */
  commandResultBucket?: CommandResultBucket;
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
  /**
   * The sets of kube-bench Jobs the scan script made, one per (cluster, in-cluster scan id), with
   * every command that ran on it: a second command of the same scan and batch finds the first one's
   * Jobs and reuses their results, as aksfs-scan.sh does, instead of making a second set.
   */
  jobSets(): JobSet[];
  /** Every run-command started (the newest MAX_RECORDED): when, and when its result is ready. */
  commandRuns: { clusterId: string; startedAt: number; finishAt: number }[];
  stop(): Promise<void>;
}

export type { JobSet } from './job-sets.js';

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

/**
 * Which Jobs a scan script's context makes: its in-cluster scan id (Jobs kb-<id>-<n>) and the rest of
 * its scan.env, or null. The scanner gives every batch its own scan id; tests that reuse one id for
 * other settings get other Jobs here.
 */
function jobSetOf(context: unknown): { scanId: string; key: string } | null {
  if (typeof context !== 'string') return null;
  try {
    const env = scanEnvFromContext(context);
    return { scanId: env.scanId, key: JSON.stringify(env) };
  } catch {
    return null;
  }
}

export async function startArmSimulator(opts: SimulatorOptions): Promise<RunningSimulator> {
  const fleet = opts.fleet;
  const clock = opts.clock ?? Date.now;
  const seed = opts.seed ?? 1;
  const rng: Rng = createRng(seed);
  const pageSize = Math.max(1, opts.pageSize ?? 100);
  const throttler = new Throttler(opts.throttleScale ?? 1, clock, opts.throttleTimeScale ?? 1, opts.commandResultBucket);
  // A poll's Retry-After (1 Azure second) in real time, when Azure's clock is scaled.
  const pollAfter = (): Record<string, string> => {
    const h: Record<string, string> = { 'Retry-After': String(retryAfter(1)) };
    if (throttler.timeScale !== 1) h['retry-after-ms'] = String(Math.max(1, Math.round((retryAfter(1) * 1000) / throttler.timeScale)));
    return h;
  };
  const requests: RecordedRequest[] = [];
  const commandRuns: RunningSimulator['commandRuns'] = [];
  const retryAfter = (fallback: number): number => opts.retryAfterSeconds ?? fallback;
  const commands = new CommandStore(clock);
  const jobSets = new JobSets();
  const faults = new FaultInjector(rng, retryAfter);
  const byKey = new Map<string, ClusterSpec>();
  for (const c of fleet.clusters) byKey.set(`${c.subscriptionId}/${c.resourceGroup}/${c.name}`.toLowerCase(), c);
  const subs = new Map(fleet.subscriptions.map((s) => [s.subscriptionId.toLowerCase(), s]));
  let endpoint = '';

  const cert = await makeLoopbackCert();

  const findCluster = (r: Route): ClusterSpec | undefined => byKey.get(`${r.subscriptionId}/${r.resourceGroup}/${r.clusterName}`.toLowerCase());

  const page = (items: Json[], skip: number, nextBase: string): Json => {
    const slice = items.slice(skip, skip + pageSize);
    const body: Record<string, Json> = { value: slice };
    if (skip + pageSize < items.length) body['nextLink'] = `${nextBase}&$skipToken=${encodeSkip(skip + pageSize)}`;
    return body;
  };

  const handle = async (req: IncomingMessage, url: URL, rec: RecordedRequest, headers: Record<string, string>): Promise<Reply | Reset> => {
    const auth = req.headers.authorization ?? '';
    const segments = pathSegments(url.pathname);
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
    const badVersion = checkApiVersion(r.family, v, findCluster(r)?.location);
    if (badVersion) return errorReply(badVersion);

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

    const throttled = throttleRequest(throttler, r, rec.clusterId, headers, retryAfter);
    if (throttled) {
      rec.fault = 'throttle-bucket';
      return errorReply(throttled);
    }

    const subSpec = r.subscriptionId !== undefined ? subs.get(r.subscriptionId.toLowerCase()) : undefined;
    const principal = principalOf(auth);
    const injected =
      faults.random(fleet.randomFaults) ??
      (subSpec ? faults.subscription(subSpec, r.operation, principal) : null) ??
      (cluster ? faults.cluster(cluster, r.operation, principal) : null);
    if (injected) {
      rec.fault = injected.fault;
      return injected.reply === RESET ? new Reset() : errorReply(injected.reply);
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
      return errorReply(armErrors.badRequest('InvalidRequestContent', `The request content is not valid JSON: ${errorMessage(e)}`));
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
    if (faults.counted(c, 'not-started')) {
      rec.fault = 'not-started';
      return errorReply(armErrors.kubernetesPerformance(id));
    }
    const slow = c.faults.find((f) => f.kind === 'slow');
    const base = slow && slow.kind === 'slow' ? slow.durationMs : (opts.commandDurationMs ?? 2000);
    const jitter = opts.commandJitterMs ? rng.int(0, opts.commandJitterMs) : 0;
    const now = clock();
    const command = b.command;
    const ran = (): { outcome: CommandOutcome; finishAt: number } => ({
      outcome: runOnCluster(c, { command, context: typeof b.context === 'string' ? b.context : undefined }, createRng(hash32(id) ^ seed)),
      finishAt: now + base + jitter,
    });
    // A command pod that never started leaves no result (the Location answers 404) and made no Jobs.
    if (faults.counted(c, 'result-not-found')) rec.fault = 'result-not-found';
    else {
      const jobs = jobSetOf(b.context);
      const cid = clusterId(c, 'resourceGroups');
      // A scan script's command runs on the Jobs of an earlier command of its scan and batch while they are kept.
      const { outcome, finishAt } = jobs
        ? jobSets.run({ id: cid, key: cid.toLowerCase() }, { scanId: jobs.scanId, scanEnvKey: jobs.key }, id, now, ran)
        : ran();
      commands.add({ id, cluster: c, apiVersion: v, startedAt: now, finishAt, outcome });
      commandRuns.push({ clusterId: clusterId(c), startedAt: now, finishAt });
      if (commandRuns.length > MAX_RECORDED) commandRuns.splice(0, commandRuns.length - MAX_RECORDED);
    }
    return new Reply(202, undefined, { Location: locationOf(c, id, v), ...pollAfter() });
  };

  const commandResult = (c: ClusterSpec, id: string, v: string): Reply => {
    const st = commands.state(c, id);
    if (st.state === 'unknown') return errorReply(armErrors.commandNotFound(id));
    if (st.state === 'running') return new Reply(202, undefined, { Location: locationOf(c, id, v), ...pollAfter() });
    return new Reply(200, st.body);
  };

  const graphQuery = async (req: IncomingMessage): Promise<Reply> => {
    let body: unknown;
    try {
      body = await readBody(req);
    } catch (e) {
      return errorReply(armErrors.badRequest('InvalidRequestContent', `The request content is not valid JSON: ${errorMessage(e)}`));
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
      .catch((e: unknown) => errorReply(armErrors.internal(`simulator: ${errorMessage(e)}`)))
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
    jobSets: () => jobSets.list(),
    commandRuns,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
