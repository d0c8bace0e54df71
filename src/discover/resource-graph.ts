/**
 * Discovery through Azure Resource Graph: one paged query for every AKS cluster the identity can
 * read across the tenant, instead of one list call per subscription. For estates with hundreds of
 * subscriptions; ARG allows about 15 queries per 5 s per user and pages 1,000 rows at a time.
 */
import type { ArmClients } from '../azure/arm.js';
import type { ClusterRef } from '../model/cluster.js';
import { clusterRefFromArmJson } from './cluster-ref.js';
import type { Discovery, SubscriptionChoice } from './discover.js';

export const CLUSTERS_QUERY =
  "resources | where type =~ 'microsoft.containerservice/managedclusters' | project id, name, type, location, tags, properties, subscriptionId, resourceGroup | order by id asc";

export async function discoverViaResourceGraph(arm: ArmClients, choice: SubscriptionChoice, signal?: AbortSignal): Promise<Discovery> {
  const exclude = new Set((choice.exclude ?? []).map((s) => s.toLowerCase()));
  const clusters: ClusterRef[] = [];
  let skipToken: string | undefined;
  do {
    const page = await arm.resourceGraph().resources(
      {
        query: CLUSTERS_QUERY,
        ...(choice.include?.length ? { subscriptions: choice.include } : {}),
        options: { resultFormat: 'objectArray', top: 1000, ...(skipToken ? { skipToken } : {}) },
      },
      { abortSignal: signal },
    );
    const rows: unknown[] = Array.isArray(page.data) ? page.data : [];
    for (const row of rows) {
      const ref = clusterRefFromArmJson(row);
      if (ref && !exclude.has(ref.subscriptionId.toLowerCase())) clusters.push(ref);
    }
    skipToken = page.skipToken;
  } while (skipToken);
  clusters.sort((a, b) => a.id.localeCompare(b.id));
  const subscriptions = [...new Set(clusters.map((c) => c.subscriptionId))];
  return { subscriptions, clusters, problems: [] };
}
