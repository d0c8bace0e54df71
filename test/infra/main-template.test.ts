/**
 * infra/main.bicep, compiled by the real Bicep CLI and evaluated with concrete parameters: what
 * `azd up` would create, checked against the rules in checks.ts. Each rule is also run on a
 * broken copy of the compiled template to show that it notices the break.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './arm-expression.js';
import { deployTemplate, resourceList, resourcesOfType, type ArmTemplate, type Deployment } from './arm-deploy.js';
import { SETTING_NAMES, readSettings } from '../../src/config/settings.js';
import { storageTargetFromEnv } from '../../src/store/target.js';
import { BICEP, INFRA_DIR, SKIP_REASON, compileBicep } from './bicep.js';
import {
  BUILTIN_ROLES,
  appRoleViolations,
  appSettings,
  functionAppViolations,
  secretLeakViolations,
  settingValueViolations,
  storageViolations,
  webhookReferenceViolations,
} from './checks.js';

if (BICEP === undefined) console.warn(`[test/infra] skipped: ${SKIP_REASON}`);

const SCOPE = { tenantId: 'tenant-0', subscriptionId: '00000000-0000-0000-0000-000000000001', location: 'westeurope' };
// A sentinel that cannot occur by accident, so any appearance of it is the secret leaking.
const WEBHOOK = 'https://hooks.example.test/workflows/SENTINEL-5f1c9e-not-a-real-hook';
const BASE: Record<string, Json> = { environmentName: 'fleet-dev', location: 'westeurope' };

type Mutable = Record<string, unknown>;

function clone(t: ArmTemplate): ArmTemplate {
  return structuredClone(t);
}

/** The inline template of a nested deployment of main, by deployment name. */
function nested(t: ArmTemplate, name: string): { deployment: Mutable; template: ArmTemplate } {
  for (const r of resourceList(t) as Mutable[]) {
    if (r['type'] === 'Microsoft.Resources/deployments' && r['name'] === name) {
      const props = r['properties'] as Mutable;
      return { deployment: props, template: props['template'] as ArmTemplate };
    }
  }
  throw new Error(`no nested deployment ${name}`);
}

function resourceOf(t: ArmTemplate, type: string): Mutable {
  const r = (resourceList(t) as Mutable[]).find((x) => x['type'] === type);
  if (!r) throw new Error(`no ${type} in template`);
  return r;
}

describe.skipIf(BICEP === undefined)('infra/main.bicep', () => {
  let template: ArmTemplate;
  let d: Deployment;

  beforeAll(async () => {
    template = await compileBicep(join(INFRA_DIR, 'main.bicep'));
    d = deployTemplate(template, { ...BASE, teamsWebhookUrl: WEBHOOK, principalId: 'user-object-id' }, SCOPE);
  });

  it('is a subscription deployment that creates its own resource group', () => {
    expect(resourcesOfType(d, 'Microsoft.Resources/resourceGroups').map((r) => r.name)).toEqual(['rg-fleet-dev']);
    expect(resourcesOfType(d, 'Microsoft.Web/serverfarms').map((r) => r.sku)).toEqual([{ name: 'FC1', tier: 'FlexConsumption' }]);
  });

  it('storage allows no shared-key access, no public blobs, and TLS 1.2 at least', () => {
    expect(storageViolations(d)).toEqual([]);
  });

  it('the function app runs as the user-assigned identity with identity-based storage settings', () => {
    expect(functionAppViolations(d)).toEqual([]);
    const tags = resourcesOfType(d, 'Microsoft.Web/sites')[0]?.tags as Record<string, Json>;
    expect(tags['azd-service-name']).toBe('scanner');
  });

  it('the webhook URL reaches only Key Vault; the app setting is a Key Vault reference the app may read', () => {
    expect(secretLeakViolations(d, WEBHOOK)).toEqual([]);
    expect(webhookReferenceViolations(d, 'TEAMS_WEBHOOK_URL')).toEqual([]);
    const secret = resourcesOfType(d, 'Microsoft.KeyVault/vaults/secrets');
    expect(secret.length).toBe(1);
    expect(template.parameters?.['teamsWebhookUrl']?.type.toLowerCase()).toBe('securestring');
  });

  it('without a webhook URL no secret is written and the setting is empty rather than a dangling reference', () => {
    const quiet = deployTemplate(template, BASE, SCOPE);
    expect(resourcesOfType(quiet, 'Microsoft.KeyVault/vaults/secrets')).toEqual([]);
    expect(appSettings(quiet)['TEAMS_WEBHOOK_URL']).toBe('');
  });

  it('the app identity gets exactly its data roles, each on one resource, never on the group or subscription', () => {
    expect(appRoleViolations(d)).toEqual([]);
  });

  it('the deploying principal gets data access only with grantDeployerDataAccess, whatever principal id azd fills in', () => {
    const user = (x: Deployment): string[] =>
      resourcesOfType(x, 'Microsoft.Authorization/roleAssignments')
        .filter((a) => (a.properties as Record<string, Json>)['principalId'] === 'user-object-id')
        .map(
          (a) =>
            String((a.properties as Record<string, Json>)['roleDefinitionId'])
              .split('/')
              .pop() ?? '',
        )
        .sort();
    // azd always passes the signed-in principal: that alone grants nothing.
    expect(user(d)).toEqual([]);
    const granted = deployTemplate(template, { ...BASE, principalId: 'user-object-id', grantDeployerDataAccess: true }, SCOPE);
    expect(user(granted)).toEqual(
      [BUILTIN_ROLES.storageBlobDataContributor, BUILTIN_ROLES.storageQueueDataContributor, BUILTIN_ROLES.storageTableDataContributor].sort(),
    );
    expect(user(deployTemplate(template, { ...BASE, grantDeployerDataAccess: true }, SCOPE))).toEqual([]);
    expect(template.parameters?.['grantDeployerDataAccess']?.defaultValue).toBe(false);
  });

  it('defaults: nightly at 02:00 UTC, 90 days retention, one node per pool, pinned kube-bench', () => {
    expect(
      settingValueViolations(deployTemplate(template, BASE, SCOPE), {
        SCAN_SCHEDULE: '0 0 2 * * *',
        RETENTION_DAYS: '90',
        SCAN_NODES: 'per-pool',
        KUBE_BENCH_IMAGE: 'docker.io/aquasec/kube-bench:v0.15.6',
        SCAN_SUBSCRIPTIONS: '',
        SCAN_EXCLUDE_SUBSCRIPTIONS: '',
      }),
    ).toEqual([]);
  });

  it('parameters reach the app settings, with subscription lists cleaned of blanks and spaces', () => {
    const custom = deployTemplate(
      template,
      {
        ...BASE,
        scanSchedule: '0 30 */6 * * *',
        retentionDays: 14,
        scanSubscriptions: ' sub-a , ,sub-b,',
        excludedSubscriptions: 'sub-c',
        kubeBenchImage: 'myregistry.azurecr.io/kube-bench@sha256:0123',
        scanNamespace: 'sec-scans',
        scanNodes: 'all',
      },
      SCOPE,
    );
    expect(
      settingValueViolations(custom, {
        SCAN_SCHEDULE: '0 30 */6 * * *',
        RETENTION_DAYS: '14',
        SCAN_SUBSCRIPTIONS: 'sub-a,sub-b',
        SCAN_EXCLUDE_SUBSCRIPTIONS: 'sub-c',
        KUBE_BENCH_IMAGE: 'myregistry.azurecr.io/kube-bench@sha256:0123',
        SCAN_NAMESPACE: 'sec-scans',
        SCAN_NODES: 'all',
      }),
    ).toEqual([]);
  });

  it("each alert route's URL is a Key Vault secret and its own setting, a Key Vault reference; the housekeeping timer has its schedule", () => {
    const urls = { payments: 'https://prod.example.test/workflows/p?sig=PAY-SECRET', web_eu: 'https://prod.example.test/workflows/w?sig=WEB-SECRET' };
    const routed = deployTemplate(template, { ...BASE, alertRoutes: 'payments=tag:team=payments; web_eu=resourceGroup:rg-web-*', alertRouteUrls: urls }, SCOPE);
    const s = appSettings(routed);
    expect(s['ALERT_ROUTES']).toBe('payments=tag:team=payments; web_eu=resourceGroup:rg-web-*');
    expect(s['ALERT_ROUTE_PAYMENTS_URL']).toMatch(/^@Microsoft\.KeyVault\(SecretUri=https:\/\/.+\/secrets\/teams-route-payments\)$/);
    expect(s['ALERT_ROUTE_WEB_EU_URL']).toMatch(/^@Microsoft\.KeyVault\(SecretUri=https:\/\/.+\/secrets\/teams-route-web-eu\)$/);
    expect(JSON.stringify(s)).not.toContain('SECRET');
    const secrets = resourcesOfType(routed, 'Microsoft.KeyVault/vaults/secrets');
    expect(secrets.map((r) => r.name.split('/').pop()).sort()).toEqual(['teams-route-payments', 'teams-route-web-eu']);
    expect(s['HOUSEKEEPING_SCHEDULE']).toBe('0 */5 * * * *');
    expect(Object.keys(appSettings(d)).filter((k) => k.startsWith('ALERT_ROUTE_'))).toEqual([]);
  });

  it('location offers only Flex Consumption regions, and azd asks for it as a location', () => {
    const loc = template.parameters?.['location'] as { allowedValues?: string[]; metadata?: { azd?: { type?: string } } };
    expect(loc.metadata?.azd?.type).toBe('location');
    expect(loc.allowedValues).toEqual(expect.arrayContaining(['westeurope', 'swedencentral', 'eastus']));
    expect(loc.allowedValues).not.toContain('eastus2euap');
    // West India has no Flex Consumption: refused before anything is created.
    expect(() => deployTemplate(template, { ...BASE, location: 'westindia' }, SCOPE)).toThrow(/location/);
  });

  it('rejects parameter values outside their declared ranges', () => {
    expect(() => deployTemplate(template, { ...BASE, scanNodes: 'some' }, SCOPE)).toThrow(/scanNodes/);
    expect(() => deployTemplate(template, { ...BASE, retentionDays: 0 }, SCOPE)).toThrow(/retentionDays/);
    expect(() => deployTemplate(template, { ...BASE, scanSchedule: '' }, SCOPE)).toThrow(/scanSchedule/);
  });

  it('sets only settings the app reads (or the Functions host and App Insights read), and the app accepts them', () => {
    // ALERT_ROUTE_<NAME>_URL: one per route ALERT_ROUTES names, read by src/alert/routes.ts.
    const platform = /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_|AZURE_CLIENT_ID$|OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID$|ALERT_ROUTE_[A-Z0-9_]+_URL$)/;
    const s = appSettings(d);
    const unknown = Object.keys(s).filter((k) => !platform.test(k) && !(SETTING_NAMES as string[]).includes(k));
    expect(unknown).toEqual([]);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(s)) if (typeof v === 'string') env[k] = v;
    // App Service resolves the Key Vault reference before the app sees it; an unresolved one turns
    // alerts off (src/config/features.ts), and without a secret the template leaves the setting empty.
    env['TEAMS_WEBHOOK_URL'] = WEBHOOK;
    const settings = readSettings(env);
    expect(settings.SCAN_SCHEDULE).toBe('0 0 2 * * *');
    expect(settings.RETENTION_DAYS).toBe(90);
    const target = storageTargetFromEnv(env);
    expect(target.kind === 'account' && [target.tableUrl, target.queueUrl]).toEqual([
      env['AzureWebJobsStorage__tableServiceUri'],
      env['AzureWebJobsStorage__queueServiceUri'],
    ]);
  });

  it('Easy Auth is configured only when a client id is given, and leaves /api/health anonymous', () => {
    expect(resourcesOfType(d, 'Microsoft.Web/sites/config').filter((c) => c.name.endsWith('/authsettingsV2'))).toEqual([]);
    const withAuth = deployTemplate(template, { ...BASE, authClientId: '11111111-2222-3333-4444-555555555555' }, SCOPE);
    const auth = resourcesOfType(withAuth, 'Microsoft.Web/sites/config').find((c) => c.name.endsWith('/authsettingsV2'));
    const p = auth?.properties as {
      globalValidation: Record<string, Json>;
      identityProviders: { azureActiveDirectory: { registration: Record<string, Json> } };
    };
    expect(p.globalValidation['requireAuthentication']).toBe(true);
    expect(p.globalValidation['excludedPaths']).toEqual(['/api/health', '/api/dashboard']);
    expect(p.identityProviders.azureActiveDirectory.registration['openIdIssuer']).toBe('https://login.microsoftonline.com/tenant-0/v2.0');
  });

  it('Easy Auth accepts tokens only from allowed client applications: by default the app registration itself', () => {
    const CLIENT = '11111111-2222-3333-4444-555555555555';
    const authOf = (x: Deployment) => {
      const c = resourcesOfType(x, 'Microsoft.Web/sites/config').find((r) => r.name.endsWith('/authsettingsV2'));
      return (c?.properties as { identityProviders: { azureActiveDirectory: { registration: Record<string, Json>; validation: Record<string, Json> } } })
        .identityProviders.azureActiveDirectory;
    };
    const byDefault = authOf(deployTemplate(template, { ...BASE, authClientId: CLIENT }, SCOPE));
    expect(byDefault.validation['defaultAuthorizationPolicy']).toEqual({ allowedApplications: [CLIENT] });
    const cli = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
    const listed = authOf(deployTemplate(template, { ...BASE, authClientId: CLIENT, authAllowedApplications: ` ${CLIENT}, ${cli},` }, SCOPE));
    expect(listed.validation['defaultAuthorizationPolicy']).toEqual({ allowedApplications: [CLIENT, cli] });
  });

  it('dashboard sign-in can use the managed identity instead of a client secret; off by default', () => {
    const CLIENT = '11111111-2222-3333-4444-555555555555';
    const setting = 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID';
    const registration = (x: Deployment) =>
      (
        resourcesOfType(x, 'Microsoft.Web/sites/config').find((r) => r.name.endsWith('/authsettingsV2'))?.properties as {
          identityProviders: { azureActiveDirectory: { registration: Record<string, Json> } };
        }
      ).identityProviders.azureActiveDirectory.registration;
    const plain = deployTemplate(template, { ...BASE, authClientId: CLIENT }, SCOPE);
    expect(registration(plain)).not.toHaveProperty('clientSecretSettingName');
    expect(appSettings(plain)).not.toHaveProperty(setting);
    const fic = deployTemplate(template, { ...BASE, authClientId: CLIENT, authSignInWithManagedIdentity: true }, SCOPE);
    expect(registration(fic)['clientSecretSettingName']).toBe(setting);
    expect(appSettings(fic)[setting]).toBe(appSettings(fic)['AZURE_CLIENT_ID']);
    // Without Easy Auth the switch does nothing.
    expect(appSettings(deployTemplate(template, { ...BASE, authSignInWithManagedIdentity: true }, SCOPE))).not.toHaveProperty(setting);
  });

  describe('the checks catch a broken template', () => {
    it('shared-key access turned on, or TLS lowered', () => {
      const t = clone(template);
      const acct = resourceOf(nested(t, 'storage').template, 'Microsoft.Storage/storageAccounts');
      (acct['properties'] as Mutable)['allowSharedKeyAccess'] = true;
      (acct['properties'] as Mutable)['minimumTlsVersion'] = 'TLS1_0';
      const v = storageViolations(deployTemplate(t, BASE, SCOPE));
      expect(v.some((x) => x.includes('allowSharedKeyAccess'))).toBe(true);
      expect(v.some((x) => x.includes('minimumTlsVersion'))).toBe(true);
    });

    it('a system-assigned identity, a connection-string setting, or a classic runtime setting', () => {
      const t = clone(template);
      const fa = nested(t, 'function-app').template;
      (resourceOf(fa, 'Microsoft.Web/sites')['identity'] as Mutable)['type'] = 'SystemAssigned, UserAssigned';
      const settings = (fa.variables as Mutable)['appSettings'] as Mutable;
      settings['AzureWebJobsStorage'] = 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==';
      settings['FUNCTIONS_WORKER_RUNTIME'] = 'node';
      const v = functionAppViolations(deployTemplate(t, BASE, SCOPE));
      expect(v.some((x) => x.includes('identity type'))).toBe(true);
      expect(v.some((x) => x.includes('AzureWebJobsStorage must not'))).toBe(true);
      expect(v.some((x) => x.includes('storage key'))).toBe(true);
      expect(v.some((x) => x.includes('FUNCTIONS_WORKER_RUNTIME'))).toBe(true);
    });

    it('the webhook URL wired straight into the app instead of through Key Vault', () => {
      const t = clone(template);
      const fa = nested(t, 'function-app');
      (fa.deployment['parameters'] as Mutable)['teamsWebhookSecretUri'] = { value: "[parameters('teamsWebhookUrl')]" };
      ((fa.template.variables as Mutable)['appSettings'] as Mutable)['TEAMS_WEBHOOK_URL'] = "[parameters('teamsWebhookSecretUri')]";
      const broken = deployTemplate(t, { ...BASE, teamsWebhookUrl: WEBHOOK }, SCOPE);
      const leaks = secretLeakViolations(broken, WEBHOOK);
      expect(leaks.some((x) => x.includes('Microsoft.Web/sites/config'))).toBe(true);
      expect(leaks.some((x) => x.includes('non-secure module parameter'))).toBe(true);
      expect(webhookReferenceViolations(broken, 'TEAMS_WEBHOOK_URL')).not.toEqual([]);
    });

    it('the secret echoed in an output', () => {
      const t = clone(template);
      (t.outputs as Mutable)['WEBHOOK'] = { type: 'string', value: "[parameters('teamsWebhookUrl')]" };
      expect(secretLeakViolations(deployTemplate(t, { ...BASE, teamsWebhookUrl: WEBHOOK }, SCOPE), WEBHOOK)).toEqual([
        'secret appears in template outputs.WEBHOOK',
      ]);
    });

    it('a hard-coded schedule that ignores the parameter', () => {
      const t = clone(template);
      ((nested(t, 'function-app').template.variables as Mutable)['appSettings'] as Mutable)['SCAN_SCHEDULE'] = '0 0 2 * * *';
      const custom = deployTemplate(t, { ...BASE, scanSchedule: '0 0 5 * * *' }, SCOPE);
      expect(settingValueViolations(custom, { SCAN_SCHEDULE: '0 0 5 * * *' })).toEqual(['app setting SCAN_SCHEDULE is "0 0 2 * * *", expected "0 0 5 * * *"']);
    });

    it('a broader storage role, or a role on the whole resource group', () => {
      const t = clone(template);
      const rbac = nested(t, 'rbac').template;
      const roles = (rbac.variables as Mutable)['roles'] as Mutable;
      roles['storageBlobDataOwner'] = 'b24988ac-6180-42a0-ab88-20f7382dd24c'; // Contributor
      expect(appRoleViolations(deployTemplate(t, BASE, SCOPE))).not.toEqual([]);

      const t2 = clone(template);
      const kvGrant = (resourceList(nested(t2, 'rbac').template) as Mutable[]).find((r) => String(r['scope']).includes('KeyVault'));
      if (!kvGrant) throw new Error('no Key Vault grant in rbac');
      delete kvGrant['scope'];
      expect(appRoleViolations(deployTemplate(t2, BASE, SCOPE))).not.toEqual([]);
    });
  });
});
