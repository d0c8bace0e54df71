/**
 * Which Teams channel gets a cluster's findings: ALERT_ROUTES names routes and their rules, each
 * route's webhook URL is its own setting (ALERT_ROUTE_<NAME>_URL), because a Key Vault reference
 * fills a whole app setting and a webhook URL is a secret. Clusters no route takes go to
 * TEAMS_WEBHOOK_URL.
 *
 *   ALERT_ROUTES = payments=tag:team=payments; web=resourceGroup:rg-web-*; lab=subscription:<guid>
 *
 * A route whose rule or URL is unusable is turned off with a warning that names the route (never
 * the URL, nor a rule's text, which may be a URL pasted in the wrong setting); the other routes
 * keep working and that route's clusters fall through to the next match or the default channel.
 */
import { z } from 'zod';
import { globToRegExp, hasTag } from '../discover/filters.js';
import { parseWebhookUrl, TEAMS_SETTING } from './send.js';

export const ROUTES_SETTING = 'ALERT_ROUTES';
/** The channel of TEAMS_WEBHOOK_URL; no route may take the name. */
export const DEFAULT_CHANNEL = 'default';

/** A route's name becomes part of a setting name, so it is limited to what app settings allow everywhere. */
const ROUTE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

const RuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subscription'), value: z.guid() }),
  // Resource-group names: letters, digits, _ . - ( ), up to 90; plus the glob's * and ?.
  z.object({ kind: z.literal('resourceGroup'), value: z.string().regex(/^[\p{L}\p{N}_.()*?-]{1,90}$/u) }),
  // key or key=value; ARM tag names are at most 512 characters and exclude < > % & \ ? /.
  z.object({ kind: z.literal('tag'), value: z.string().regex(/^[^<>%&\\?/=\s][^<>%&\\?/=]{0,511}(=.{0,256})?$/u) }),
]);
export type RouteRule = z.infer<typeof RuleSchema>;

const KINDS: Record<string, RouteRule['kind']> = { subscription: 'subscription', resourcegroup: 'resourceGroup', rg: 'resourceGroup', tag: 'tag' };

export interface AlertRoute {
  name: string;
  /** A secret: never log it, never show it. */
  url: string;
  /** Any one matching takes the cluster. */
  rules: RouteRule[];
}

export interface AlertRouting {
  /** Usable routes, in the order ALERT_ROUTES first names them: the first match wins. */
  routes: AlertRoute[];
  /** TEAMS_WEBHOOK_URL as the channel "default", or null when it is unset or unusable. */
  fallback: AlertRoute | null;
  /** One line per route turned off or setting ignored; safe to log and to show in /api/health. */
  warnings: string[];
  /** Routes turned off and why (naming the setting, never the URL). */
  off: { name: string; reason: string }[];
}

/** What routing reads of a cluster. */
export interface RoutedCluster {
  subscriptionId: string;
  resourceGroup: string;
  tags: Readonly<Record<string, string>>;
}

export function routeUrlSetting(name: string): string {
  return `ALERT_ROUTE_${name.toUpperCase()}_URL`;
}

type Settings = Readonly<Record<string, string | undefined>>;

/** The route's webhook URL, or why it cannot be used (naming the setting, never the value). */
function webhookSetting(settings: Settings, setting: string): { url: string } | { problem: string } {
  const raw = settings[setting]?.trim();
  if (!raw) return { problem: `${setting} is not set` };
  // App Service leaves the reference text in place when it cannot resolve it.
  if (raw.startsWith('@Microsoft.KeyVault(')) return { problem: `${setting} is an unresolved Key Vault reference (can the app's identity read the secret?)` };
  try {
    parseWebhookUrl(raw, setting);
  } catch (e) {
    return { problem: e instanceof Error ? e.message : `${setting} is not a usable webhook URL` };
  }
  return { url: raw };
}

function parseRule(text: string): RouteRule | null {
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  const kind = KINDS[text.slice(0, colon).trim().toLowerCase()];
  const parsed = RuleSchema.safeParse({ kind, value: text.slice(colon + 1).trim() });
  return parsed.success ? parsed.data : null;
}

/** Reads ALERT_ROUTES, each route's URL setting and TEAMS_WEBHOOK_URL from a plain settings record. */
export function alertRoutes(settings: Settings): AlertRouting {
  const warnings: string[] = [];
  const off: AlertRouting['off'] = [];
  const named = new Map<string, { name: string; rules: RouteRule[]; bad: number[] }>();
  const entries = (settings[ROUTES_SETTING] ?? '')
    .split(/[;\n]/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  entries.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const name = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (!ROUTE_NAME.test(name) || name.toLowerCase() === DEFAULT_CHANNEL) {
      // An unusable name is not echoed: the entry may be a webhook URL put in the wrong setting.
      warnings.push(`${ROUTES_SETTING}: entry ${i + 1} is ignored: it must be name=kind:value with a name of letters, digits and _ (not "${DEFAULT_CHANNEL}")`);
      return;
    }
    const key = name.toUpperCase();
    const route = named.get(key) ?? { name, rules: [], bad: [] };
    named.set(key, route);
    const rule = parseRule(entry.slice(eq + 1));
    if (rule) route.rules.push(rule);
    else route.bad.push(i + 1);
  });

  const routes: AlertRoute[] = [];
  for (const r of named.values()) {
    if (r.bad.length > 0) {
      const reason =
        `${ROUTES_SETTING} entr${r.bad.length === 1 ? 'y' : 'ies'} ${r.bad.join(', ')} ` +
        `must be subscription:<id>, resourceGroup:<glob> or tag:<key>[=<value>]`;
      off.push({ name: r.name, reason });
      warnings.push(`alert route "${r.name}" is turned off: ${reason}`);
      continue;
    }
    const url = webhookSetting(settings, routeUrlSetting(r.name));
    if ('problem' in url) {
      off.push({ name: r.name, reason: url.problem });
      warnings.push(`alert route "${r.name}" is turned off: ${url.problem}`);
      continue;
    }
    routes.push({ name: r.name, url: url.url, rules: r.rules });
  }

  let fallback: AlertRoute | null = null;
  if (settings[TEAMS_SETTING]?.trim()) {
    const url = webhookSetting(settings, TEAMS_SETTING);
    if ('problem' in url) warnings.push(`the default alert channel is turned off: ${url.problem}; clusters no route takes are not alerted`);
    else fallback = { name: DEFAULT_CHANNEL, url: url.url, rules: [] };
  }
  return { routes, fallback, warnings, off };
}

function ruleMatches(rule: RouteRule, c: RoutedCluster): boolean {
  switch (rule.kind) {
    case 'subscription':
      return rule.value.toLowerCase() === c.subscriptionId.toLowerCase();
    case 'resourceGroup':
      return globToRegExp(rule.value).test(c.resourceGroup);
    case 'tag':
      return hasTag({ ...c.tags }, rule.value);
  }
}

/** The channel of a cluster: the first route with a matching rule, else the default; null when neither. */
export function routeFor(c: RoutedCluster, routing: AlertRouting): AlertRoute | null {
  return routing.routes.find((r) => r.rules.some((rule) => ruleMatches(rule, c))) ?? routing.fallback;
}

export interface ChannelGroup<T> {
  route: AlertRoute;
  items: T[];
}

/**
 * Items (a run's cluster changes, say) grouped by channel, in route order with the default last;
 * `unrouted` holds those no channel takes (no route matches and TEAMS_WEBHOOK_URL is not set).
 */
export function groupByChannel<T>(
  items: readonly T[],
  clusterOf: (item: T) => RoutedCluster,
  routing: AlertRouting,
): { channels: ChannelGroup<T>[]; unrouted: T[] } {
  const byRoute = new Map<AlertRoute, T[]>();
  const unrouted: T[] = [];
  for (const it of items) {
    const route = routeFor(clusterOf(it), routing);
    if (!route) {
      unrouted.push(it);
      continue;
    }
    const list = byRoute.get(route);
    if (list) list.push(it);
    else byRoute.set(route, [it]);
  }
  const order = [...routing.routes, ...(routing.fallback ? [routing.fallback] : [])];
  const channels = order.flatMap((route) => {
    const list = byRoute.get(route);
    return list ? [{ route, items: list }] : [];
  });
  return { channels, unrouted };
}
