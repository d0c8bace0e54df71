/** CSV rows shared by the routes that list clusters (/clusters and /checks/{topicOrId}), so both exports have the same columns. */
import type { ClusterItem } from './schemas.js';

export const CLUSTER_CSV_HEADER: readonly string[] = [
  'subscriptionId',
  'resourceGroup',
  'name',
  'location',
  'kubernetesVersion',
  'outcome',
  'reason',
  'detail',
  'benchmark',
  'stale',
  'lastAttempt',
  'resultsScanId',
  'resultsFinishedAt',
  'pass',
  'fail',
  'warn',
  'info',
  'yoursToFix',
  'failingTopics',
];

export function clusterCsvRow(c: ClusterItem): unknown[] {
  const r = c.results;
  return [
    c.subscriptionId,
    c.resourceGroup,
    c.name,
    c.location,
    c.kubernetesVersion,
    c.outcome,
    c.reason,
    c.detail,
    c.benchmark,
    c.stale,
    c.finishedAt,
    r?.scanId,
    r?.finishedAt,
    r?.totals.pass,
    r?.totals.fail,
    r?.totals.warn,
    r?.totals.info,
    r?.yoursToFix,
    r?.failingTopics.join(' '),
  ];
}
