/**
 * The per-topic aggregate (Clusters: `t~`topic, cluster): one row per cluster whose latest results
 * fail the topic. Rows are idempotent per (topic, cluster), so concurrent workers on different
 * clusters never touch the same row; the fleet entity records which rows still need writing
 * (`aggDirty`) and a fingerprint per topic (`rTopicSigs`), see store.ts. Written and read only here.
 */
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { keys } from '../layout.js';
import { cutText, MAX_NAME_CHARS } from '../limits.js';
import { fitList, type TopicContribution } from '../rollup.js';
import type { TopicFailure } from '../types.js';
import { decode, flag, jsonText, text, type Entity } from './values.js';

/** Pools and checks of one topic on one cluster: AKS allows 100 pools, so this is far more than any cluster needs. */
const MAX_ROW_LIST_CHARS = 16_000;
const strings = z.array(z.string());

const topicRowShape = {
  clusterId: text,
  subscriptionId: text,
  resourceGroup: text,
  name: text,
  disposition: text,
  pools: jsonText(strings, []),
  checks: jsonText(strings, []),
  truncated: flag,
};
const topicRowSchema = z.object(topicRowShape);
type TopicRowProps = z.input<typeof topicRowSchema>;

/** The names a row carries, from the fleet entity's attempt fields (already cut to fit there). */
export interface RowCluster {
  clusterId: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const name = (v: string): string => cutText(v, MAX_NAME_CHARS);

export function topicRowEntity(topic: string, c: RowCluster, t: TopicContribution): TableEntity<Entity> {
  const pools = fitList(t.pools, MAX_ROW_LIST_CHARS);
  const checks = fitList(t.checks, MAX_ROW_LIST_CHARS);
  const props: TopicRowProps = {
    clusterId: name(c.clusterId),
    subscriptionId: name(c.subscriptionId),
    resourceGroup: name(c.resourceGroup),
    name: name(c.name),
    disposition: name(t.disposition),
    pools: pools.json,
    checks: checks.json,
    truncated: pools.truncated || checks.truncated,
  };
  return { ...keys.topicRow(topic, c.clusterId), ...props };
}

export function topicFailureOf(e: Entity): TopicFailure {
  return decode(topicRowSchema, e, `topic row ${String(e['partitionKey'])}/${String(e['rowKey'])}`);
}
