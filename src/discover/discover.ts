/** Lists the subscriptions and AKS clusters the identity can see. */
import type { ArmClients } from '../azure/arm.js';
import type { ClusterRef } from '../model/cluster.js';
import { toClusterRef } from './cluster-ref.js';

export interface SubscriptionChoice {
  /** Scan exactly these; empty or undefined means every subscription the identity can see. */
  include?: string[];
  exclude?: string[];
}

export interface DiscoveryProblem {
  subscriptionId: string;
  message: string;
}

export interface Discovery {
  subscriptions: string[];
  clusters: ClusterRef[];
  /** Subscriptions whose clusters could not be listed; their clusters are unknown, not skipped. */
  problems: DiscoveryProblem[];
}

export async function listSubscriptionIds(arm: ArmClients, choice: SubscriptionChoice, signal?: AbortSignal): Promise<string[]> {
  const exclude = new Set((choice.exclude ?? []).map((s) => s.toLowerCase()));
  let ids: string[];
  if (choice.include?.length) ids = choice.include;
  else {
    ids = [];
    for await (const s of arm.subscriptions().subscriptions.list({ abortSignal: signal })) {
      // Warned and PastDue subscriptions still run their clusters; only Disabled and Deleted ones do not.
      if (s.subscriptionId && s.state !== 'Disabled' && s.state !== 'Deleted') ids.push(s.subscriptionId);
    }
  }
  return [...new Set(ids)].filter((id) => !exclude.has(id.toLowerCase()));
}

export async function listClusters(arm: ArmClients, subscriptionId: string, signal?: AbortSignal): Promise<ClusterRef[]> {
  const out: ClusterRef[] = [];
  for await (const mc of arm.containerService(subscriptionId).managedClusters.list({ abortSignal: signal })) out.push(toClusterRef(mc));
  return out;
}

export async function discoverFleet(arm: ArmClients, choice: SubscriptionChoice, signal?: AbortSignal): Promise<Discovery> {
  const subscriptions = await listSubscriptionIds(arm, choice, signal);
  const clusters: ClusterRef[] = [];
  const problems: DiscoveryProblem[] = [];
  const results = await Promise.allSettled(subscriptions.map((s) => listClusters(arm, s, signal)));
  results.forEach((r, i) => {
    const sub = subscriptions[i] as string;
    if (r.status === 'fulfilled') clusters.push(...r.value);
    else {
      const e = r.reason as { statusCode?: number; code?: string; message?: string };
      const why =
        e.statusCode === 404
          ? 'not found, or not visible to this identity'
          : e.statusCode === 403
            ? 'the identity may not read its clusters'
            : (e.message ?? String(r.reason)).split('\n')[0];
      problems.push({ subscriptionId: sub, message: `${e.code ? `${e.code}: ` : ''}${why}` });
    }
  });
  clusters.sort((a, b) => a.id.localeCompare(b.id));
  return { subscriptions, clusters, problems };
}
