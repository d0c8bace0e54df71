/**
 * The table layout, chosen for the queries users make.
 *
 * | table    | PartitionKey            | RowKey                    | holds |
 * |----------|-------------------------|---------------------------|-------|
 * | Clusters | `fleet`                 | cluster                   | one small entity per cluster: the latest attempt and the results of the latest scanned attempt, with its failing topics and checks; the fleet summary reads this one partition |
 * | Clusters | `t~`topic               | cluster                   | the per-topic aggregate: one row per cluster whose latest results fail the topic (pools, checks, disposition); "which clusters fail topic T" reads one partition |
 * | Clusters | `d`                     | `s000`.., `meta`          | the fleet digest: per cluster what the summary, the listing's order and filters need, gzip'd in 64 shards by a hash of the cluster key; one query reads the fleet |
 * | Scans    | cluster                 | scan                      | one entity per scan of a cluster (its header): totals, outcome, and the gzip'd node list and rolled-up checks; history is a query over this partition with $select |
 * | Nodes    | cluster~scan            | node~part, `~details~n`   | each node's full result, gzip'd and cut into 64,000-byte binary properties; overflow of a large scan header |
 * | Runs     | `runs`                  | inverted start~run        | the index of scan runs, newest first |
 * | Runs     | `r~`run                 | `run`, `c~`cluster        | the run header, and one entity per cluster done in the run |
 * | Runs     | `g~`run                 | `rollup`                  | a finished run's rollup for the dashboard's trend (codec/run-rollup.ts) |
 *
 * Keys are built from `encodeKey`, which never emits `~`, so the separator cannot occur inside a part.
 */
import { clusterKey, invertedTime, joinKey, KEY_SEPARATOR, encodeKey, fitKeyPart, ID_KEY_CHARS, NODE_KEY_CHARS, runKey, scanKey } from './keys.js';
import { InputError } from '../model/errors.js';

export interface TableNames {
  clusters: string;
  scans: string;
  nodes: string;
  runs: string;
}

export function tableNames(prefix: string): TableNames {
  // A table name is 3-63 letters and digits starting with a letter; the longest suffix is 8 characters.
  if (!/^[A-Za-z][A-Za-z0-9]{0,54}$/.test(prefix)) {
    throw new InputError('table prefix', `"${prefix}" must be a letter followed by up to 54 letters or digits`);
  }
  return { clusters: `${prefix}Clusters`, scans: `${prefix}Scans`, nodes: `${prefix}Nodes`, runs: `${prefix}Runs` };
}

export const FLEET_PARTITION = 'fleet';
export const RUN_INDEX_PARTITION = 'runs';
export const RUN_HEADER_ROW = 'run';
/** Topic partitions sit in the Clusters table beside `fleet`; `t` cannot collide with it. */
export const TOPIC_PARTITION_PREFIX = 't';
/** The fleet digest's shards (codec/digest.ts), beside `fleet` and the topic partitions; `d` collides with neither. */
export const DIGEST_PARTITION = 'd';
export const DIGEST_META_ROW = 'meta';
export const DETAILS_ROW_PREFIX = `${KEY_SEPARATOR}details`;

function nodeKey(node: string): string {
  return fitKeyPart(encodeKey(node), NODE_KEY_CHARS);
}

export const keys = {
  fleet: (clusterId: string): { partitionKey: string; rowKey: string } => ({ partitionKey: FLEET_PARTITION, rowKey: clusterKey(clusterId) }),
  scan: (clusterId: string, scanId: string): { partitionKey: string; rowKey: string } => ({ partitionKey: clusterKey(clusterId), rowKey: scanKey(scanId) }),
  nodesPartition: (clusterId: string, scanId: string): string => keys.nodesPartitionOf(clusterKey(clusterId), scanId),
  /** The same from the cluster's key (a fleet entity's RowKey). */
  nodesPartitionOf: (clusterPk: string, scanId: string): string => joinKey(`scan ${scanId}`, clusterPk, scanKey(scanId)),
  nodePrefix: (node: string): string => {
    if (!node) throw new InputError('node name', 'is empty');
    return joinKey(`node ${node}`, nodeKey(node));
  },
  nodePart: (node: string, part: number): string => joinKey(`node ${node}`, nodeKey(node), part.toString().padStart(3, '0')),
  detailsPart: (part: number): string => `${DETAILS_ROW_PREFIX}${KEY_SEPARATOR}${part.toString().padStart(3, '0')}`,
  runPartition: (runId: string): string => joinKey(`run id ${runId}`, 'r', runKey(runId)),
  runIndex: (runId: string, startedAt: string): { partitionKey: string; rowKey: string } => ({
    partitionKey: RUN_INDEX_PARTITION,
    rowKey: joinKey(`run id ${runId}`, invertedTime(startedAt), runKey(runId)),
  }),
  runCluster: (clusterId: string): string => joinKey(`cluster id ${clusterId}`, 'c', clusterKey(clusterId)),
  digestShard: (shard: number): { partitionKey: string; rowKey: string } => ({
    partitionKey: DIGEST_PARTITION,
    rowKey: `s${shard.toString().padStart(3, '0')}`,
  }),
  topicPartition: (topic: string): string => {
    if (!topic) throw new InputError('topic', 'is empty');
    return joinKey(`topic ${topic}`, TOPIC_PARTITION_PREFIX, fitKeyPart(encodeKey(topic), ID_KEY_CHARS));
  },
  topicRow: (topic: string, clusterId: string): { partitionKey: string; rowKey: string } => ({
    partitionKey: keys.topicPartition(topic),
    rowKey: clusterKey(clusterId),
  }),
};
