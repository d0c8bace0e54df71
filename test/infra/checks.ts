/**
 * The security and wiring rules the infrastructure must keep, as functions from an evaluated
 * deployment to a list of violations (empty = compliant). Tests run them on the real templates
 * and on deliberately broken copies, so each rule is shown to pass and to fail.
 */
import { stubProperties, type Json } from './arm-expression.js';
import { parseResourceId, resourcesOfType, type DeployedResource, type Deployment } from './arm-deploy.js';

/** The only actions the scanner's custom role may hold (shared/reference/run-command.md, "Permissions"). */
export const SCANNER_ACTIONS = [
  'Microsoft.ContainerService/managedClusters/read',
  'Microsoft.ContainerService/managedClusters/runCommand/action',
  'Microsoft.ContainerService/managedClusters/commandResults/read',
  'Microsoft.Resources/subscriptions/read',
] as const;

/** Azure built-in role definition ids. */
export const BUILTIN_ROLES = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;

/** App settings that Flex Consumption rejects or that would carry a storage credential. */
export const FORBIDDEN_SETTINGS = [
  'AzureWebJobsStorage',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_RUN_FROM_PACKAGE',
  'AzureWebJobsStorage__accountKey',
] as const;

type Obj = { [key: string]: Json };

function obj(v: Json | undefined): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
}

function list(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : [];
}

export function scannerRoleViolations(d: Deployment, expected: { principalId: string; scopeId: string }): string[] {
  const v: string[] = [];
  const defs = resourcesOfType(d, 'Microsoft.Authorization/roleDefinitions');
  if (defs.length !== 1) return [`expected one role definition, found ${defs.length}`];
  const def = defs[0] as DeployedResource;
  const props = obj(def.properties);
  if (props['type'] !== 'CustomRole') v.push(`role type is ${JSON.stringify(props['type'])}, not CustomRole`);
  const perms = list(props['permissions']);
  if (perms.length !== 1) v.push(`expected one permissions block, found ${perms.length}`);
  for (const p of perms) {
    const actions = list(obj(p)['actions']);
    for (const a of actions) {
      if (typeof a !== 'string') v.push(`non-string action ${JSON.stringify(a)}`);
      else if (a.includes('*')) v.push(`wildcard action ${a}`);
    }
    if (new Set(actions).size !== actions.length) v.push('duplicate actions');
    const got = [...new Set(actions.map(String))].sort();
    const want = [...SCANNER_ACTIONS].sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) v.push(`actions are ${JSON.stringify(got)}, expected exactly ${JSON.stringify(want)}`);
    for (const k of ['notActions', 'dataActions', 'notDataActions']) {
      if (list(obj(p)[k]).length > 0) v.push(`${k} must be empty, is ${JSON.stringify(obj(p)[k])}`);
    }
  }
  const scopes = list(props['assignableScopes']);
  if (JSON.stringify(scopes) !== JSON.stringify([expected.scopeId])) {
    v.push(`assignableScopes are ${JSON.stringify(scopes)}, expected [${expected.scopeId}]`);
  }
  const assignments = resourcesOfType(d, 'Microsoft.Authorization/roleAssignments');
  if (assignments.length !== 1) v.push(`expected one role assignment, found ${assignments.length}`);
  for (const a of assignments) {
    const ap = obj(a.properties);
    if (ap['roleDefinitionId'] !== def.id) v.push(`assignment grants ${String(ap['roleDefinitionId'])}, not the scanner role ${def.id}`);
    if (ap['principalId'] !== expected.principalId) v.push(`assignment is for ${String(ap['principalId'])}, not ${expected.principalId}`);
  }
  return v;
}

export function storageViolations(d: Deployment): string[] {
  const accounts = resourcesOfType(d, 'Microsoft.Storage/storageAccounts');
  if (accounts.length === 0) return ['no storage account'];
  const v: string[] = [];
  for (const a of accounts) {
    const p = obj(a.properties);
    if (p['allowSharedKeyAccess'] !== false) v.push(`${a.name}: allowSharedKeyAccess is ${JSON.stringify(p['allowSharedKeyAccess'])}, must be false`);
    if (p['minimumTlsVersion'] !== 'TLS1_2') v.push(`${a.name}: minimumTlsVersion is ${JSON.stringify(p['minimumTlsVersion'])}, must be TLS1_2`);
    if (p['allowBlobPublicAccess'] !== false) v.push(`${a.name}: allowBlobPublicAccess must be false`);
    if (p['supportsHttpsTrafficOnly'] === false) v.push(`${a.name}: plain HTTP allowed`);
  }
  return v;
}

export function functionApp(d: Deployment): DeployedResource {
  const apps = resourcesOfType(d, 'Microsoft.Web/sites').filter((s) => String(s.kind).includes('functionapp'));
  if (apps.length !== 1) throw new Error(`expected one function app, found ${apps.length}`);
  return apps[0] as DeployedResource;
}

/** The app settings as ARM would apply them: siteConfig.appSettings, then the appsettings config resource. */
export function appSettings(d: Deployment): Record<string, Json> {
  const app = functionApp(d);
  const out: Record<string, Json> = {};
  for (const s of list(obj(obj(app.properties)['siteConfig'])['appSettings'])) {
    const name = obj(s)['name'];
    if (typeof name === 'string') out[name] = obj(s)['value'] ?? null;
  }
  const configs = resourcesOfType(d, 'Microsoft.Web/sites/config').filter((c) => c.name === `${app.name}/appsettings`);
  for (const c of configs) Object.assign(out, obj(c.properties));
  return out;
}

export function functionAppViolations(d: Deployment): string[] {
  const v: string[] = [];
  const app = functionApp(d);
  const identity = obj(app.identity);
  if (identity['type'] !== 'UserAssigned') v.push(`identity type is ${JSON.stringify(identity['type'])}, must be UserAssigned only`);
  const uai = Object.keys(obj(identity['userAssignedIdentities']));
  const identities = resourcesOfType(d, 'Microsoft.ManagedIdentity/userAssignedIdentities').map((r) => r.id);
  if (uai.length !== 1 || !identities.includes(uai[0] ?? '')) {
    v.push(`app must carry exactly the deployed user-assigned identity, carries ${JSON.stringify(uai)}`);
    return v;
  }
  const identityId = uai[0] as string;
  const clientId = obj(stubProperties(identityId))['clientId'];
  const p = obj(app.properties);
  if (p['keyVaultReferenceIdentity'] !== identityId) v.push('keyVaultReferenceIdentity is not the user-assigned identity');
  if (p['httpsOnly'] !== true) v.push('httpsOnly is not true');
  const deployStorage = obj(obj(obj(p['functionAppConfig'])['deployment'])['storage']);
  const auth = obj(deployStorage['authentication']);
  if (auth['type'] !== 'UserAssignedIdentity' || auth['userAssignedIdentityResourceId'] !== identityId) {
    v.push(`deployment storage authenticates with ${JSON.stringify(auth)}, not the user-assigned identity`);
  }
  const runtime = obj(obj(p['functionAppConfig'])['runtime']);
  if (runtime['name'] !== 'node') v.push(`runtime is ${JSON.stringify(runtime['name'])}, not node`);

  const accounts = resourcesOfType(d, 'Microsoft.Storage/storageAccounts');
  if (accounts.length !== 1) return [...v, `expected one storage account, found ${accounts.length}`];
  const account = (accounts[0] as DeployedResource).name;
  const containers = resourcesOfType(d, 'Microsoft.Storage/storageAccounts/blobServices/containers').map((c) => c.name.split('/').pop());
  const pkg = String(deployStorage['value'] ?? '');
  const m = new RegExp(`^https://${account}\\.blob\\.core\\.windows\\.net/([a-z0-9-]+)$`).exec(pkg);
  if (!m || !containers.includes(m[1])) v.push(`deployment package location ${pkg} is not a container of ${account}`);

  const s = appSettings(d);
  for (const k of FORBIDDEN_SETTINGS) if (k in s) v.push(`app setting ${k} must not be set on Flex Consumption with identity-based storage`);
  for (const [k, val] of Object.entries(s)) {
    if (typeof val === 'string' && /AccountKey=|SharedAccessSignature=|sig=/i.test(val)) v.push(`app setting ${k} carries a storage key or SAS`);
  }
  const want: Record<string, string> = {
    AzureWebJobsStorage__credential: 'managedidentity',
    AzureWebJobsStorage__clientId: String(clientId),
    AzureWebJobsStorage__blobServiceUri: `https://${account}.blob.core.windows.net`,
    AzureWebJobsStorage__queueServiceUri: `https://${account}.queue.core.windows.net`,
    AzureWebJobsStorage__tableServiceUri: `https://${account}.table.core.windows.net`,
    AZURE_CLIENT_ID: String(clientId),
  };
  for (const [k, val] of Object.entries(want)) {
    if (s[k] !== val) v.push(`app setting ${k} is ${JSON.stringify(s[k])}, expected ${JSON.stringify(val)}`);
  }
  return v;
}

/** Every place a secret value may not appear: resource properties (but the Key Vault secret's own value), outputs, and non-secure module parameters. */
export function secretLeakViolations(d: Deployment, secret: string): string[] {
  const v: string[] = [];
  const walk = (val: Json, where: string): void => {
    if (typeof val === 'string') {
      if (val.includes(secret)) v.push(`secret appears in ${where}`);
    } else if (Array.isArray(val)) val.forEach((x, k) => walk(x, `${where}[${k}]`));
    else if (val !== null && typeof val === 'object') for (const [k, x] of Object.entries(val)) walk(x, `${where}.${k}`);
  };
  for (const r of d.resources) {
    if (r.type.toLowerCase() === 'microsoft.keyvault/vaults/secrets') {
      const { value: _value, ...rest } = obj(r.properties);
      walk(rest, `${r.type} ${r.name}`);
    } else {
      walk(r.properties, `${r.type} ${r.name}`);
      if (r.tags !== undefined) walk(r.tags, `${r.type} ${r.name} tags`);
    }
  }
  for (const p of d.moduleParameters) {
    const secure = ['securestring', 'secureobject'].includes(p.declaredType.toLowerCase());
    if (!secure) walk(p.value, `non-secure module parameter ${p.deployment}:${p.parameter} (shown in deployment history)`);
  }
  walk(d.outputs, 'template outputs');
  for (const [path, outputs] of Object.entries(d.nestedOutputs)) walk(outputs, `outputs of ${path}`);
  return v;
}

const KV_REFERENCE = /^@Microsoft\.KeyVault\(SecretUri=(https:\/\/[^)]+)\)$/;

/** The webhook setting is a Key Vault reference to a secret this deployment wrote, readable by the app. */
export function webhookReferenceViolations(d: Deployment, setting: string): string[] {
  const s = appSettings(d);
  const val = s[setting];
  const m = typeof val === 'string' ? KV_REFERENCE.exec(val) : null;
  if (!m?.[1]) return [`${setting} is ${JSON.stringify(val)}, not a Key Vault reference`];
  const uri = m[1];
  const secrets = resourcesOfType(d, 'Microsoft.KeyVault/vaults/secrets');
  const target = secrets.find((sec) => {
    const [vault, name] = sec.name.split('/');
    return uri === `https://${vault}.vault.azure.net/secrets/${name}`;
  });
  if (!target) return [`${setting} points at ${uri}, which is no secret of this deployment`];
  const v: string[] = [];
  const vaultId = target.id.replace(/\/secrets\/[^/]+$/, '');
  const principal = appPrincipalId(d);
  const grants = roleGrants(d).filter((g) => g.principalId === principal && g.scope === vaultId);
  if (!grants.some((g) => g.role === BUILTIN_ROLES.keyVaultSecretsUser)) v.push('the app identity cannot read the vault holding the webhook secret');
  return v;
}

export interface RoleGrant {
  principalId: string;
  role: string;
  scope: string;
  scopeType: string;
}

export function roleGrants(d: Deployment): RoleGrant[] {
  return resourcesOfType(d, 'Microsoft.Authorization/roleAssignments').map((a) => {
    const p = obj(a.properties);
    const scope = a.id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i, '');
    let scopeType: string;
    try {
      scopeType = parseResourceId(scope).type;
    } catch {
      scopeType = scope.includes('/resourceGroups/') ? 'resourceGroup' : 'subscription';
    }
    return {
      principalId: String(p['principalId']),
      role: String(p['roleDefinitionId']).split('/').pop() ?? '',
      scope,
      scopeType,
    };
  });
}

export function appPrincipalId(d: Deployment): string {
  const uai = Object.keys(obj(obj(functionApp(d).identity)['userAssignedIdentities']));
  return String(obj(stubProperties(uai[0] ?? '/providers/x/y/z'))['principalId']);
}

/**
 * The app identity holds exactly the expected roles, each on the one resource it concerns:
 * nothing on the resource group or subscription, nothing broader than data access.
 */
export function appRoleViolations(d: Deployment): string[] {
  const principal = appPrincipalId(d);
  const got = roleGrants(d)
    .filter((g) => g.principalId === principal)
    .map((g) => `${g.scopeType.toLowerCase()} ${g.role}`)
    .sort();
  const want = [
    `microsoft.storage/storageaccounts ${BUILTIN_ROLES.storageBlobDataOwner}`,
    `microsoft.storage/storageaccounts ${BUILTIN_ROLES.storageQueueDataContributor}`,
    `microsoft.storage/storageaccounts ${BUILTIN_ROLES.storageTableDataContributor}`,
    `microsoft.keyvault/vaults ${BUILTIN_ROLES.keyVaultSecretsUser}`,
    `microsoft.insights/components ${BUILTIN_ROLES.monitoringMetricsPublisher}`,
  ].sort();
  return JSON.stringify(got) === JSON.stringify(want) ? [] : [`app identity grants are ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`];
}

/** Settings that must hold given values (the wiring from template parameters to the app). */
export function settingValueViolations(d: Deployment, expected: Record<string, string>): string[] {
  const s = appSettings(d);
  return Object.entries(expected)
    .filter(([k, val]) => s[k] !== val)
    .map(([k, val]) => `app setting ${k} is ${JSON.stringify(s[k])}, expected ${JSON.stringify(val)}`);
}
