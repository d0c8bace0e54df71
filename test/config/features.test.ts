/**
 * Settings degrade, they do not stop the app: every optional setting, unusable, turns its feature off
 * with one warning and a reason GET /api/health shows; every other setting, unusable, still stops the
 * app naming it. The last tests run the real runtime and the Functions HTTP entry point over Azurite.
 */
import azf from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { apiHandler } from '../../functions/api.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { loadSettings, OPTIONAL_FEATURES, OPTIONAL_SETTINGS, type Feature } from '../../src/config/features.js';
import { SETTING_NAMES, SettingsError } from '../../src/config/settings.js';
import { createRuntime, setSharedRuntime } from '../../src/runtime/runtime.js';
import { useAzurite } from '../support/azurite.js';

const { HttpRequest, InvocationContext } = azf;
const KV_REF = '@Microsoft.KeyVault(SecretUri=https://kv-example.vault.azure.net/secrets/teams-webhook-url)';
const featureOf = (name: string): Feature => {
  const hit = (Object.keys(OPTIONAL_FEATURES) as Feature[]).find((f) => (OPTIONAL_FEATURES[f] as readonly string[]).includes(name));
  if (!hit) throw new Error(`${name} belongs to no optional feature`);
  return hit;
};
const valid: Record<string, string> = {
  TEAMS_WEBHOOK_URL: 'https://hooks.example.test/workflows/abc',
  DASHBOARD_URL: 'https://app.example.test/api/dashboard',
  WAIVERS_FILE: 'waivers.yaml',
};

describe('optional settings turn their feature off', () => {
  it('every optional setting has a valid example here, so each one below is covered', () => {
    expect([...OPTIONAL_SETTINGS].sort()).toEqual(Object.keys(valid).sort());
  });

  it.each(OPTIONAL_SETTINGS.map((n) => [n]))('%s as an unresolved Key Vault reference: feature off, reason named, the rest kept', (name) => {
    const loaded = loadSettings({ ...valid, RETENTION_DAYS: '30', [name]: KV_REF });
    const feature = featureOf(name);
    expect(loaded.features[feature]).toBe(`off: ${name} is an unresolved Key Vault reference`);
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toContain(`${name} is an unresolved Key Vault reference`);
    // No half-feature: none of its settings survive.
    for (const n of OPTIONAL_FEATURES[feature]) expect(loaded.settings[n]).toBeUndefined();
    expect(loaded.settings.RETENTION_DAYS).toBe(30);
    for (const other of Object.keys(OPTIONAL_FEATURES) as Feature[]) if (other !== feature) expect(loaded.features[other]).toBe('on');
  });

  it.each([
    ['TEAMS_WEBHOOK_URL', 'not a url'],
    ['TEAMS_WEBHOOK_URL', 'http://hooks.example.test/workflows/SECRET-PART'],
    ['DASHBOARD_URL', 'http://app.example.test/api/dashboard'],
  ])('%s=%s (malformed) turns its feature off and never echoes the value', (name, value) => {
    const loaded = loadSettings({ ...valid, [name]: value });
    expect(loaded.features[featureOf(name)]).toMatch(new RegExp(`^off: ${name} (is not valid|must)`));
    expect(JSON.stringify(loaded)).not.toContain('SECRET-PART');
    expect(loaded.warnings.join('\n')).not.toContain(value);
  });

  it('unset optional settings: features off as "not set", without a warning; all set: on', () => {
    const none = loadSettings({});
    expect(none.features).toEqual({ alerts: 'off: TEAMS_WEBHOOK_URL is not set', alertDashboardLink: 'off: DASHBOARD_URL is not set' });
    expect(none.warnings).toEqual([]);
    expect(loadSettings(valid).features).toEqual({ alerts: 'on', alertDashboardLink: 'on' });
  });

  it.each(SETTING_NAMES.filter((n) => !OPTIONAL_SETTINGS.includes(n)).map((n) => [n]))(
    '%s (required for the app to run) as an unresolved Key Vault reference still stops it, naming the setting',
    (name) => {
      expect(() => loadSettings({ [name]: KV_REF })).toThrowError(SettingsError);
      expect(() => loadSettings({ [name]: KV_REF })).toThrow(`setting ${name} is an unresolved Key Vault reference`);
    },
  );

  it('a required setting that is malformed still stops the app, naming it', () => {
    expect(() => loadSettings({ ...valid, RETENTION_DAYS: 'ninety' })).toThrow(/RETENTION_DAYS must be a whole number/);
  });
});

describe('the app with an unusable optional setting (runtime and Functions HTTP entry point, over Azurite)', () => {
  const az = useAzurite();
  const logs: string[] = [];
  afterEach(() => {
    setSharedRuntime(undefined);
    logs.length = 0;
  });
  const runtime = async (env: Record<string, string>) =>
    createRuntime(
      { AzureWebJobsStorage: az.instance.connectionString, ...env },
      { credential: simulatorCredential(), armEndpoint: 'https://127.0.0.1:9', store: await az.store(), log: (l) => logs.push(l) },
    );
  const get = async (path: string) => {
    const res = await apiHandler(
      new HttpRequest({ method: 'GET', url: `http://localhost/api/${path}` }),
      new InvocationContext({ invocationId: 't', functionName: 'health' }),
    );
    return { status: res.status, body: JSON.parse(String(res.body)) as Record<string, unknown> };
  };

  it('TEAMS_WEBHOOK_URL unresolved: no alerts, one warning, health says why, the API keeps answering', async () => {
    const rt = await runtime({ TEAMS_WEBHOOK_URL: KV_REF, DASHBOARD_URL: valid['DASHBOARD_URL'] as string });
    setSharedRuntime(rt);
    expect(rt.deps.alerts).toBeUndefined();
    expect(logs.filter((l) => l.includes('turned off'))).toEqual([
      'alerts turned off: TEAMS_WEBHOOK_URL is an unresolved Key Vault reference; everything else keeps working',
    ]);
    const health = await get('health');
    expect(health.status).toBe(200);
    expect(health.body['features']).toEqual({ alerts: 'off: TEAMS_WEBHOOK_URL is an unresolved Key Vault reference', alertDashboardLink: 'on' });
    expect((await get('summary')).status).toBe(200);
  });

  it('a waiver file that does not load turns alerts off rather than sending what it would waive', async () => {
    const rt = await runtime({ TEAMS_WEBHOOK_URL: valid['TEAMS_WEBHOOK_URL'] as string, WAIVERS_FILE: '/nonexistent/aksfs-waivers.yaml' });
    expect(rt.deps.alerts).toBeUndefined();
    expect(rt.features.alerts).toMatch(/^off: WAIVERS_FILE could not be loaded: .*no such waiver file/);
    expect(logs.join('\n')).not.toContain('hooks.example.test');
  });

  it('an unusable route is off with a warning naming it (never its URL), shown by health; the other routes and the default keep working', async () => {
    const rt = await runtime({
      TEAMS_WEBHOOK_URL: valid['TEAMS_WEBHOOK_URL'] as string,
      ALERT_ROUTES: 'payments=tag:team=payments; web=resourceGroup:rg-web-*',
      ALERT_ROUTE_PAYMENTS_URL: 'https://hooks.example.test/payments?sig=PAYMENTS-SECRET',
      ALERT_ROUTE_WEB_URL: KV_REF,
    });
    setSharedRuntime(rt);
    expect(rt.deps.alerts?.routing.routes.map((r) => r.name)).toEqual(['payments']);
    expect(rt.deps.alerts?.routing.fallback?.name).toBe('default');
    expect(logs.filter((l) => l.includes('turned off'))).toEqual([
      expect.stringMatching(/^alert route "web" is turned off: ALERT_ROUTE_WEB_URL is an unresolved Key Vault reference/),
    ]);
    const health = await get('health');
    expect(health.body['features']).toMatchObject({
      alerts: 'on',
      'alertRoute:payments': 'on',
      'alertRoute:web': expect.stringMatching(/^off: ALERT_ROUTE_WEB_URL is an unresolved/),
    });
    const shown = JSON.stringify(health.body) + logs.join('\n');
    for (const secret of ['PAYMENTS-SECRET', 'hooks.example.test', 'kv']) expect(shown).not.toContain(secret);
  });

  it('routes without TEAMS_WEBHOOK_URL are alerts too', async () => {
    const rt = await runtime({ ALERT_ROUTES: 'payments=tag:team=payments', ALERT_ROUTE_PAYMENTS_URL: 'https://hooks.example.test/p?sig=S' });
    expect(rt.features.alerts).toBe('on');
    expect(rt.deps.alerts?.routing.fallback).toBeNull();
  });

  it('with good settings alerts are on', async () => {
    const rt = await runtime({ TEAMS_WEBHOOK_URL: valid['TEAMS_WEBHOOK_URL'] as string });
    expect(rt.deps.alerts?.webhookUrl).toBe(valid['TEAMS_WEBHOOK_URL']);
    expect(rt.features.alerts).toBe('on');
  });
});
