/** The fleet summary as GET /api/summary answers it, fetched through the same handler, and as terminal text. */
import azf from '@azure/functions';
import { apiHandler } from '../../../functions/api.js';
import type { FleetSummary } from '../../report/summary.js';

const { HttpRequest, InvocationContext } = azf;

export async function fleetSummaryBody(): Promise<FleetSummary> {
  const res = await apiHandler(new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/summary' }), new InvocationContext({ invocationId: 'summary', functionName: 'api' }));
  if ((res.status ?? 200) !== 200) throw new Error(`GET /api/summary answered ${res.status}: ${String(res.body)}`);
  return JSON.parse(String(res.body)) as FleetSummary;
}

export function renderFleetSummaryText(s: FleetSummary): string {
  const c = s.clusters;
  const lines = [
    `Fleet: ${c.total} cluster(s): ${c.scanned} scanned, ${c.skipped} skipped, ${c.failed} failed, ${c.stale} stale; last scan ${s.lastScan ?? 'never'}`,
    `Checks: ${s.checks.fail} FAIL, ${s.checks.warn} WARN, ${s.checks.pass} PASS, ${s.checks.info} INFO`,
    `Triage of failing checks: ${Object.entries(s.triage).map(([k, v]) => `${k} ${typeof v === 'number' ? v : JSON.stringify(v)}`).join(', ')}`,
    'Top failing topics:',
    ...s.topFailing.map((t) => `  ${(t.share * 100).toFixed(0).padStart(3)}%  ${t.clusters} cluster(s)  ${t.topic}  ${t.title}`),
    'Subscriptions:',
    ...s.subscriptions.map((x) => `  ${JSON.stringify(x)}`),
  ];
  return lines.join('\n') + '\n';
}
