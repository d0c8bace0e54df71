/**
 * The entities a scanned cluster's latest results leave in the Clusters table (its fleet entity and
 * its rows in the topic aggregate), built without storing the scan itself. For seeding large fleets
 * (the benchmark's 10,000 clusters) through `planBatches` transactions instead of one save per cluster;
 * the entities are the ones saveClusterScan would leave, with nothing left to write (`aggDirty` empty).
 * `digestSeedEntities` adds the fleet digest those entities' saves would leave.
 */
import type { TableEntity } from '@azure/data-tables';
import type { ClusterScan } from '../model/cluster.js';
import { attemptProps, FLEET, resultsProps } from './codec/fleet.js';
import { topicRowEntity } from './codec/topic.js';
import { digestEntities } from './codec/digest.js';
import type { Entity } from './codec/values.js';
import { keys } from './layout.js';
import { assertFits } from './limits.js';
import { rollup, topicContributions, topicSigs } from './rollup.js';
import type { Classifier } from './types.js';

export function summaryEntities(scan: ClusterScan, ids: { runId: string; scanId: string }, classify: Classifier): TableEntity<Entity>[] {
  if (scan.outcome.kind !== 'scanned') throw new Error(`summaryEntities: scan ${ids.scanId} did not scan; seed scanned clusters only`);
  const a = {
    cluster: scan.cluster,
    outcome: { kind: 'scanned' as const },
    benchmark: scan.benchmark,
    scanId: ids.scanId,
    runId: ids.runId,
    startedAt: scan.startedAt,
    finishedAt: scan.finishedAt,
  };
  const r = rollup(scan, classify);
  const byTopic = topicContributions(r.checks);
  const fleet: TableEntity<Entity> = {
    ...keys.fleet(scan.cluster.id),
    ...attemptProps(a),
    ...resultsProps(a, r, scan.outcome.nodeFailures.length, topicSigs(byTopic)),
    [FLEET.firstAttemptAt]: scan.startedAt,
    [FLEET.aggDirty]: '[]',
  };
  const names = { clusterId: scan.cluster.id, subscriptionId: scan.cluster.subscriptionId, resourceGroup: scan.cluster.resourceGroup, name: scan.cluster.name };
  const rows = [...byTopic].map(([t, c]) => topicRowEntity(t, names, c));
  for (const e of [fleet, ...rows]) assertFits(e, `seeded entity ${e.partitionKey}/${e.rowKey}`);
  return [fleet, ...rows];
}

/** The fleet digest's shards and meta row for the fleet entities `summaryEntities` built (the first of each). */
export function digestSeedEntities(fleet: readonly TableEntity<Entity>[]): TableEntity<Entity>[] {
  return digestEntities(fleet, new Date().toISOString());
}
