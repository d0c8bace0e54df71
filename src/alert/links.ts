/**
 * Links from alerts to the dashboard. A card is copied, forwarded and kept in chat history, so a
 * link never carries a key: DASHBOARD_URL's query (e.g. a function key as `?code=`), fragment and
 * credentials are dropped, and a cluster's view is a fragment route the dashboard resolves itself.
 */
import { InputError } from '../model/errors.js';

/** An http(s) URL, or an InputError naming the input. */
export function parseDashboardUrl(url: string, input: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(input, 'is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new InputError(input, `must be http or https, not ${parsed.protocol}`);
  return parsed;
}

/** DASHBOARD_URL reduced to origin and path: what a link may carry. */
export function dashboardBase(url: string): string {
  const parsed = parseDashboardUrl(url, 'DASHBOARD_URL');
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * encodeURIComponent leaves `!'()*` as they are; parentheses (allowed in resource-group names)
 * would end a markdown link early, so they are encoded too.
 */
function segment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface LinkedCluster {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** `{base}#/cluster/{subscriptionId}/{resourceGroup}/{name}`, each segment URL-encoded. */
export function clusterLink(base: string, c: LinkedCluster): string {
  return `${base}#/cluster/${segment(c.subscriptionId)}/${segment(c.resourceGroup)}/${segment(c.name)}`;
}
