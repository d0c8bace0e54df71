/** The fleet summary as GET /api/summary answers it, fetched through the same handler, and as terminal text. */
import azf from '@azure/functions';
import { apiHandler } from '../../../functions/api.js';
import type { FleetSummary } from '../../report/summary.js';

const { HttpRequest, InvocationContext } = azf;

export async function fleetSummaryBody(): Promise<FleetSummary> {
  const res = await apiHandler(
    new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/summary' }),
    new InvocationContext({ invocationId: 'summary', functionName: 'api' }),
  );
  if ((res.status ?? 200) !== 200) throw new Error(`GET /api/summary answered ${res.status}: ${String(res.body)}`);
  return JSON.parse(String(res.body)) as FleetSummary;
}

export function renderFleetSummaryText(s: FleetSummary): string {
  const c = s.clusters;
  const t = s.triage;
  const reasons = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const lines = [
    `Fleet: ${c.total} cluster(s): ${c.scanned} scanned, ${c.skipped} skipped, ${c.failed} failed, ${c.stale} stale; last scan ${s.lastScan ?? 'never'}`,
    `  skipped: ${reasons(s.reasons.skipped)}`,
    `  failed:  ${reasons(s.reasons.failed)}`,
    `Checks on the nodes scanned: ${s.checks.fail} FAIL, ${s.checks.warn} WARN, ${s.checks.pass} PASS, ${s.checks.info} INFO`,
    `Failing checks, each counted once per cluster: yours to fix ${t.yoursToFix.total} (action ${t.yoursToFix.action}, environment ${t.yoursToFix.environment}); not yours: ${t.notYours.total} ` +
      `(managed by AKS ${t.notYours.platform}, equivalent control ${t.notYours['equivalent-control']}, check quirk ${t.notYours['check-quirk']}, obsolete ${t.notYours.obsolete}, unknown ${t.notYours.unknown})`,
    'Top failing topics (share of clusters with results):',
    ...s.topFailing.map(
      (x) => `  ${(x.share * 100).toFixed(0).padStart(3)}%  ${String(x.clusters).padStart(4)}  ${x.topic} [${x.disposition ?? '?'}]  ${x.title}`,
    ),
    'Subscriptions:',
    ...s.subscriptions.map(
      (x) =>
        `  ${x.subscriptionId}: ${x.clusters} cluster(s), ${x.scanned} scanned, ${x.skipped} skipped, ${x.failed} failed; ${x.checks.fail} FAIL; ${x.yoursToFix} yours to fix`,
    ),
  ];
  return lines.join('\n') + '\n';
}
