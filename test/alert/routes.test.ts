import { describe, expect, it } from 'vitest';
import type { RoutedCluster } from '../../src/alert/routes.js';
import { alertRoutes, groupByChannel, routeFor, routeUrlSetting } from '../../src/alert/routes.js';

const PAYMENTS_URL = 'https://payments.example.com/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=PAYMENTS-SECRET-SIG';
const WEB_URL = 'https://web.example.com/workflows/def/triggers/manual/paths/invoke?sig=WEB-SECRET-SIG';
const DEFAULT_URL = 'https://default.example.com/workflows/ghi/triggers/manual/paths/invoke?sig=DEFAULT-SECRET-SIG';
const SUB_A = '00000000-0000-0000-0000-00000000000a';
const SUB_B = '00000000-0000-0000-0000-00000000000b';

const cluster = (over: Partial<RoutedCluster> = {}): RoutedCluster => ({ subscriptionId: SUB_B, resourceGroup: 'rg-other', tags: {}, ...over });

const SETTINGS = {
  ALERT_ROUTES: `payments=tag:team=payments; web=resourceGroup:rg-web-*; web=tag:team=web\nlab=subscription:${SUB_A}`,
  ALERT_ROUTE_PAYMENTS_URL: PAYMENTS_URL,
  ALERT_ROUTE_WEB_URL: WEB_URL,
  ALERT_ROUTE_LAB_URL: 'https://lab.example.com/hook',
  TEAMS_WEBHOOK_URL: DEFAULT_URL,
};

describe('alertRoutes', () => {
  it('reads the rules from ALERT_ROUTES and each URL from its own setting', () => {
    const r = alertRoutes(SETTINGS);
    expect(r.warnings).toEqual([]);
    expect(r.routes.map((x) => [x.name, x.url, x.rules])).toEqual([
      ['payments', PAYMENTS_URL, [{ kind: 'tag', value: 'team=payments' }]],
      [
        'web',
        WEB_URL,
        [
          { kind: 'resourceGroup', value: 'rg-web-*' },
          { kind: 'tag', value: 'team=web' },
        ],
      ],
      ['lab', 'https://lab.example.com/hook', [{ kind: 'subscription', value: SUB_A }]],
    ]);
    expect(r.fallback?.name).toBe('default');
    expect(routeUrlSetting('payments')).toBe('ALERT_ROUTE_PAYMENTS_URL');
  });

  it('matches by tag (case-insensitive), resource-group glob and subscription; the first route wins; the rest go to the default', () => {
    const r = alertRoutes(SETTINGS);
    const to = (c: RoutedCluster): string | undefined => routeFor(c, r)?.name;
    expect(to(cluster({ tags: { Team: 'Payments' } }))).toBe('payments');
    expect(to(cluster({ resourceGroup: 'RG-WEB-prod' }))).toBe('web');
    expect(to(cluster({ tags: { team: 'web' } }))).toBe('web');
    expect(to(cluster({ subscriptionId: SUB_A.toUpperCase() }))).toBe('lab');
    // In lab's subscription but tagged for payments: payments is named first.
    expect(to(cluster({ subscriptionId: SUB_A, tags: { team: 'payments' } }))).toBe('payments');
    expect(to(cluster({ tags: { team: 'search' } }))).toBe('default');
    expect(routeFor(cluster(), alertRoutes({ ...SETTINGS, TEAMS_WEBHOOK_URL: undefined }))).toBeNull();
  });

  it('turns off a route with a bad rule or URL, naming the route and never the URL; the others keep working', () => {
    const r = alertRoutes({
      ...SETTINGS,
      ALERT_ROUTES: `${SETTINGS.ALERT_ROUTES}; ops=owner:ops; vault=tag:team=vault; plain=tag:team=plain; missing=tag:team=missing; ${WEB_URL}`,
      ALERT_ROUTE_VAULT_URL: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams-vault/)',
      ALERT_ROUTE_PLAIN_URL: 'http://plain.example.com/hook?sig=PLAIN-SECRET-SIG',
    });
    expect(r.routes.map((x) => x.name)).toEqual(['payments', 'web', 'lab']);
    expect(r.warnings).toEqual([
      'ALERT_ROUTES: entry 9 is ignored: it must be name=kind:value with a name of letters, digits and _ (not "default")',
      'alert route "ops" is turned off: ALERT_ROUTES entry 5 must be subscription:<id>, resourceGroup:<glob> or tag:<key>[=<value>]',
      'alert route "vault" is turned off: ALERT_ROUTE_VAULT_URL is an unresolved Key Vault reference (can the app\'s identity read the secret?)',
      'alert route "plain" is turned off: setting ALERT_ROUTE_PLAIN_URL: must be an https URL (http only for a loopback host); got a http URL',
      'alert route "missing" is turned off: ALERT_ROUTE_MISSING_URL is not set',
    ]);
    const all = r.warnings.join('\n');
    for (const secret of ['SECRET-SIG', 'example.com', 'kv.vault']) expect(all).not.toContain(secret);
    // A cluster of a route turned off falls through to the default channel, not nowhere.
    expect(routeFor(cluster({ tags: { team: 'vault' } }), r)?.name).toBe('default');
  });

  it('refuses unusable rule values: a bad subscription id, a resource group with a slash, an empty tag', () => {
    const r = alertRoutes({
      ALERT_ROUTES: 'a=subscription:not-a-guid; b=resourceGroup:rg/web; c=tag:; d=tag:=x; e=rg:rg-ok-?',
      ALERT_ROUTE_A_URL: 'https://a.example.com/',
      ALERT_ROUTE_B_URL: 'https://b.example.com/',
      ALERT_ROUTE_C_URL: 'https://c.example.com/',
      ALERT_ROUTE_D_URL: 'https://d.example.com/',
      ALERT_ROUTE_E_URL: 'https://e.example.com/',
    });
    expect(r.routes.map((x) => x.name)).toEqual(['e']);
    expect(r.warnings.map((w) => /"(\w)"/.exec(w)?.[1])).toEqual(['a', 'b', 'c', 'd']);
    expect(r.fallback).toBeNull();
  });

  it('warns when TEAMS_WEBHOOK_URL is set but unusable, without showing it', () => {
    const r = alertRoutes({ TEAMS_WEBHOOK_URL: 'ftp://default.example.com/?sig=DEFAULT-SECRET-SIG' });
    expect(r.fallback).toBeNull();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^the default alert channel is turned off: setting TEAMS_WEBHOOK_URL: must be an https URL/);
    expect(r.warnings[0]).not.toContain('example.com');
    expect(alertRoutes({})).toEqual({ routes: [], fallback: null, warnings: [], off: [] });
  });
});

describe('groupByChannel', () => {
  it('groups a run by channel in route order, default last, and keeps the ones no channel takes', () => {
    const items = [
      { name: 'c1', cluster: cluster({ tags: { team: 'web' } }) },
      { name: 'c2', cluster: cluster() },
      { name: 'c3', cluster: cluster({ tags: { team: 'payments' } }) },
      { name: 'c4', cluster: cluster({ resourceGroup: 'rg-web-1' }) },
    ];
    const grouped = groupByChannel(items, (i) => i.cluster, alertRoutes(SETTINGS));
    expect(grouped.channels.map((g) => [g.route.name, g.items.map((i) => i.name)])).toEqual([
      ['payments', ['c3']],
      ['web', ['c1', 'c4']],
      ['default', ['c2']],
    ]);
    expect(grouped.unrouted).toEqual([]);
    const noDefault = groupByChannel(items, (i) => i.cluster, alertRoutes({ ...SETTINGS, TEAMS_WEBHOOK_URL: undefined }));
    expect(noDefault.unrouted.map((i) => i.name)).toEqual(['c2']);
  });
});
