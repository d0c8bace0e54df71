/**
 * The files azd reads: infra/main.parameters.json (after azd's ${VAR} substitution) and azure.yaml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Json } from './arm-expression.js';
import { deployTemplate, resourcesOfType, type ArmTemplate } from './arm-deploy.js';
import { BICEP, INFRA_DIR, REPO_ROOT, SKIP_REASON, compileBicep } from './bicep.js';
import { appSettings, settingValueViolations } from './checks.js';

if (BICEP === undefined) console.warn(`[test/infra] skipped: ${SKIP_REASON}`);

const SCOPE = { tenantId: 'tenant-0', subscriptionId: '00000000-0000-0000-0000-000000000001', location: 'westeurope' };

/** azd's substitution: `${VAR}` and `${VAR=default}`, on the file's text before JSON parsing. */
function substitute(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:=([^}]*))?\}/g, (_, name: string, def: string | undefined) => env[name] ?? def ?? '');
}

/**
 * What azd passes to ARM for each entry, after substitution (azd's armParameterFileValue in
 * cli/azd/pkg/infra/provisioning/bicep): strings become numbers or bools for int and bool
 * parameters, and an empty string counts as "not given" unless the parameter's default is
 * non-empty, in which case it overrides the default.
 */
function parametersFor(template: ArmTemplate, env: Record<string, string>): Record<string, Json> {
  const text = readFileSync(join(INFRA_DIR, 'main.parameters.json'), 'utf8');
  const file = JSON.parse(substitute(text, env)) as { parameters: Record<string, { value: Json }> };
  const out: Record<string, Json> = {};
  for (const [name, { value }] of Object.entries(file.parameters)) {
    const def = template.parameters?.[name];
    const type = def?.type.toLowerCase();
    if (value === '' && (def?.defaultValue === undefined || def.defaultValue === '')) continue;
    if (type === 'int' && typeof value === 'string') out[name] = Number(value);
    else if (type === 'bool' && typeof value === 'string') out[name] = value === 'true';
    else out[name] = value;
  }
  return out;
}

describe.skipIf(BICEP === undefined)('infra/main.parameters.json and azure.yaml', () => {
  let main: ArmTemplate;
  beforeAll(async () => {
    main = await compileBicep(join(INFRA_DIR, 'main.bicep'));
  });

  it('maps only parameters main.bicep declares, and every required one', () => {
    const file = JSON.parse(readFileSync(join(INFRA_DIR, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, unknown> };
    const declared = main.parameters ?? {};
    for (const name of Object.keys(file.parameters)) expect(declared, `main.bicep declares ${name}`).toHaveProperty(name);
    for (const [name, def] of Object.entries(declared)) {
      if (!('defaultValue' in def)) expect(file.parameters, `main.parameters.json maps required ${name}`).toHaveProperty(name);
    }
  });

  it('a fresh azd environment (name and location only) deploys with the documented defaults', () => {
    const d = deployTemplate(main, parametersFor(main, { AZURE_ENV_NAME: 'dev', AZURE_LOCATION: 'swedencentral' }), SCOPE);
    expect(
      settingValueViolations(d, {
        SCAN_SCHEDULE: '0 0 2 * * *',
        RETENTION_DAYS: '90',
        SCAN_NODES: 'per-pool',
        SCAN_SUBSCRIPTIONS: '',
        TEAMS_WEBHOOK_URL: '',
      }),
    ).toEqual([]);
    expect(d.outputs['AZURE_LOCATION']).toBe('swedencentral');
  });

  it('the principal azd always fills in gets storage data roles only with GRANT_DEPLOYER_DATA_ACCESS=true', () => {
    const env = { AZURE_ENV_NAME: 'dev', AZURE_LOCATION: 'swedencentral', AZURE_PRINCIPAL_ID: 'deployer-object-id', AZURE_PRINCIPAL_TYPE: 'User' };
    const grants = (e: Record<string, string>) =>
      resourcesOfType(deployTemplate(main, parametersFor(main, e), SCOPE), 'Microsoft.Authorization/roleAssignments').filter(
        (a) => (a.properties as Record<string, Json>)['principalId'] === 'deployer-object-id',
      ).length;
    expect(grants(env)).toBe(0);
    expect(grants({ ...env, GRANT_DEPLOYER_DATA_ACCESS: 'true' })).toBe(3);
  });

  it('AUTH_ALLOWED_APPLICATIONS and AUTH_SIGN_IN_WITH_MANAGED_IDENTITY reach the Easy Auth configuration', () => {
    const CLIENT = '11111111-2222-3333-4444-555555555555';
    const env = { AZURE_ENV_NAME: 'dev', AZURE_LOCATION: 'swedencentral', AUTH_CLIENT_ID: CLIENT };
    const auth = (e: Record<string, string>) =>
      JSON.stringify(
        resourcesOfType(deployTemplate(main, parametersFor(main, e), SCOPE), 'Microsoft.Web/sites/config').find((c) => c.name.endsWith('/authsettingsV2'))
          ?.properties,
      );
    expect(auth(env)).toContain(`"allowedApplications":["${CLIENT}"]`);
    expect(auth(env)).not.toContain('clientSecretSettingName');
    const more = auth({ ...env, AUTH_ALLOWED_APPLICATIONS: `${CLIENT},04b07795-8ddb-461a-bbee-02f9e1bf7b46`, AUTH_SIGN_IN_WITH_MANAGED_IDENTITY: 'true' });
    expect(more).toContain(`"allowedApplications":["${CLIENT}","04b07795-8ddb-461a-bbee-02f9e1bf7b46"]`);
    expect(more).toContain('"clientSecretSettingName":"OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"');
  });

  it('azd environment variables reach the app settings', () => {
    const env = {
      AZURE_ENV_NAME: 'prod',
      AZURE_LOCATION: 'westeurope',
      SCAN_SCHEDULE: '0 15 3 * * 1-5',
      RETENTION_DAYS: '30',
      SCAN_SUBSCRIPTIONS: 'aaaa, bbbb',
      SCAN_EXCLUDE_SUBSCRIPTIONS: 'cccc',
      SCAN_NODES: 'all',
      TEAMS_WEBHOOK_URL: 'https://hooks.example.test/SENTINEL',
    };
    const d = deployTemplate(main, parametersFor(main, env), SCOPE);
    expect(
      settingValueViolations(d, {
        SCAN_SCHEDULE: '0 15 3 * * 1-5',
        RETENTION_DAYS: '30',
        SCAN_SUBSCRIPTIONS: 'aaaa,bbbb',
        SCAN_EXCLUDE_SUBSCRIPTIONS: 'cccc',
        SCAN_NODES: 'all',
      }),
    ).toEqual([]);
    expect(resourcesOfType(d, 'Microsoft.KeyVault/vaults/secrets').length).toBe(1);
  });

  it('azd env set ALERT_ROUTES and ALERT_ROUTE_URLS drive the alert routes: one Key Vault secret and one reference setting per route, no URL in a setting', () => {
    const urls =
      'payments=https://prod.example.test/workflows/p/invoke?api-version=2016-06-01&sig=PAY-SECRET; web_eu = https://prod.example.test/w?sp=x&sig=WEB-SECRET;;junk';
    const env = {
      AZURE_ENV_NAME: 'prod',
      AZURE_LOCATION: 'westeurope',
      ALERT_ROUTES: 'payments=tag:team=payments; web_eu=rg:rg-web-*',
      ALERT_ROUTE_URLS: urls,
    };
    const d = deployTemplate(main, parametersFor(main, env), SCOPE);
    const settings = appSettings(d);
    expect(settings['ALERT_ROUTES']).toBe('payments=tag:team=payments; web_eu=rg:rg-web-*');
    expect(settings['ALERT_ROUTE_PAYMENTS_URL']).toMatch(/^@Microsoft\.KeyVault\(SecretUri=https:\/\/.+\/secrets\/teams-route-payments\)$/);
    expect(settings['ALERT_ROUTE_WEB_EU_URL']).toMatch(/^@Microsoft\.KeyVault\(SecretUri=https:\/\/.+\/secrets\/teams-route-web-eu\)$/);
    // The entry without a name ("junk") is left out: the two routes only.
    expect(Object.keys(settings).filter((k) => k.startsWith('ALERT_ROUTE_'))).toHaveLength(2);
    expect(JSON.stringify(settings)).not.toContain('SECRET');
    // The URL is whole in its secret, its query's "=" included.
    const secrets = resourcesOfType(d, 'Microsoft.KeyVault/vaults/secrets');
    const value = (name: string): unknown => (secrets.find((r) => r.name.endsWith(`/${name}`))?.properties as { value?: unknown } | undefined)?.value;
    expect(value('teams-route-payments')).toBe('https://prod.example.test/workflows/p/invoke?api-version=2016-06-01&sig=PAY-SECRET');
    expect(value('teams-route-web-eu')).toBe('https://prod.example.test/w?sp=x&sig=WEB-SECRET');
    // Unset, nothing is routed.
    const plain = deployTemplate(main, parametersFor(main, { AZURE_ENV_NAME: 'prod', AZURE_LOCATION: 'westeurope' }), SCOPE);
    expect(Object.keys(appSettings(plain)).filter((k) => k.startsWith('ALERT_ROUTE_'))).toEqual([]);
    expect(appSettings(plain)['ALERT_ROUTES'] ?? '').toBe('');
  });

  it('azure.yaml deploys one TypeScript function service to the app main.bicep tags for it', () => {
    const doc = parseAllDocuments(readFileSync(join(REPO_ROOT, 'azure.yaml'), 'utf8'))[0]?.toJS() as {
      infra?: { provider?: string; path?: string };
      services: Record<string, { project: string; language: string; host: string }>;
    };
    const services = Object.entries(doc.services);
    expect(services.length).toBe(1);
    const [name, svc] = services[0] as [string, { project: string; language: string; host: string }];
    expect(svc).toMatchObject({ project: '.', language: 'ts', host: 'function' });
    expect(doc.infra?.path).toBe('infra');
    const d = deployTemplate(main, { environmentName: 'dev', location: 'westeurope' }, SCOPE);
    const site = resourcesOfType(d, 'Microsoft.Web/sites')[0];
    expect((site?.tags as Record<string, Json>)['azd-service-name']).toBe(name);
    // azd reads SERVICE_<NAME>_NAME to find the app when the tag lookup is ambiguous.
    expect(d.outputs[`SERVICE_${name.toUpperCase()}_NAME`]).toBe(site?.name);
  });
});
