/** GET /scans, GET /scans/{id} and POST /scans. */
import { z } from 'zod';
import { CLUSTER_ID } from '../model/ids.js';
import { badRequest, csv, json, notFound } from './respond.js';
import { noQuery, parseQuery, SCAN_OR_RUN_ID, scanQuery, scansQuery, wantsCsv } from './query.js';
import type { RunRecord } from '../store/types.js';
import { ScanRequestSchema, type RunList, type ScanAccepted } from './schemas.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './types.js';

const DEFAULT_RUNS = 20;

const RUN_CSV_HEADER = ['runId', 'trigger', 'startedAt', 'queued', 'done', 'scanned', 'skipped', 'failed', 'pending', 'complete', 'lastReportAt'];

function runCsvRow(r: RunRecord): unknown[] {
  return [r.runId, r.trigger, r.startedAt, r.queued, r.done, r.scanned, r.skipped, r.failed, r.pending, r.complete, r.lastReportAt];
}

export async function listScans(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const q = parseQuery(scansQuery, req.query);
  const runs = await deps.store.listRuns(q.top ?? DEFAULT_RUNS);
  if (wantsCsv(q.format, req.headers)) return csv('scans', RUN_CSV_HEADER, runs.map(runCsvRow));
  return json(200, { items: runs } satisfies RunList);
}

export async function getScan(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  const q = parseQuery(scanQuery, req.query);
  const id = params['id'] ?? '';
  if (!SCAN_OR_RUN_ID.test(id)) throw badRequest(`path segment id "${id.slice(0, 80)}" is not a run id`);
  const run = await deps.store.getRun(id);
  if (!run) throw notFound(`scan run "${id}" is not known`);
  if (wantsCsv(q.format, req.headers)) return csv(`scan-${id}`, RUN_CSV_HEADER, [runCsvRow(run)]);
  return json(200, run);
}

function bodyValue(body: unknown): unknown {
  if (body === undefined || body === null) return {};
  let text: string | null = null;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body).toString('utf8');
  else if (body instanceof ArrayBuffer) text = Buffer.from(body).toString('utf8');
  if (text === null) return body;
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('request body is not JSON; send {"clusters": ["<cluster resource id>", ...]} or nothing');
  }
}

export async function requestScan(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  parseQuery(noQuery, req.query);
  const parsed = ScanRequestSchema.safeParse(bodyValue(req.body));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? `body.${issue.path.join('.')}` : 'request body';
    throw badRequest(`${where}: ${issue?.message ?? 'is not valid'}; send {"clusters": ["<cluster resource id>", ...]} or nothing`);
  }
  let ids: string[] | null = null;
  if (parsed.data.clusters) {
    const seen = new Map<string, string>();
    parsed.data.clusters.forEach((id, i) => {
      if (!CLUSTER_ID.test(id)) {
        throw badRequest(
          `body.clusters.${i}: "${id.slice(0, 120)}" is not an AKS cluster resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>)`,
        );
      }
      // ARM ids compare case-insensitively: ask once per cluster.
      if (!seen.has(id.toLowerCase())) seen.set(id.toLowerCase(), id);
    });
    ids = [...seen.values()];
  }
  const started = await deps.requestScan(ids);
  const accepted = z.object({ runId: z.string().min(1), queued: z.int().min(0), missing: z.array(z.string()) }).safeParse(started);
  if (!accepted.success) throw new Error('requestScan returned no run id');
  const status = `/api/scans/${encodeURIComponent(accepted.data.runId)}`;
  const { runId, queued, missing } = accepted.data;
  return json(202, { runId, queued, status, missing } satisfies ScanAccepted, { location: status });
}
