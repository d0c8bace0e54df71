// aks-fleet-scanner: everything `azd up` provisions in one resource group.
//
// What this does NOT grant: the scanner's access to the clusters it scans.
// That is per subscription (or management group) and lives in
// scanner-role.bicep / scanner-role-mg.bicep; see infra/README.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names and the azd-env-name tag.')
param environmentName string

// Regions that offer Flex Consumption, as Azure-Samples/functions-quickstart-typescript-azd lists them
// (commit 157d2ce, infra/main.bicep, without the eastus2euap canary). The list grows: check it with
// `az functionapp list-flexconsumption-locations` and add a region here. The azd metadata makes
// `azd provision` offer only these regions, so an unsupported one fails at once, not at plan creation.
@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

// The timer binds to %SCAN_SCHEDULE%, so an empty value would stop the host from
// indexing the function: six fields of at least one character each, plus spaces.
@minLength(11)
@description('NCRONTAB schedule (six fields, seconds first, UTC) of the fleet scan.')
param scanSchedule string = '0 0 2 * * *'

@minValue(1)
@maxValue(3650)
@description('Days that scan results are kept before the app deletes them.')
param retentionDays int = 90

@description('Comma-separated subscription ids to scan. Empty: every subscription the identity can see.')
param scanSubscriptions string = ''

@description('Comma-separated subscription ids never to scan, even when visible or listed.')
param excludedSubscriptions string = ''

@description('kube-bench image the in-cluster Jobs run, pinned by tag or digest (the app rejects an unpinned reference).')
param kubeBenchImage string = 'docker.io/aquasec/kube-bench:v0.15.6'

@minLength(1)
@maxLength(63)
@description('Namespace the in-cluster Jobs run in: the one name owners exempt from Azure Policy, Deployment Safeguards or Gatekeeper (a DNS-1123 label).')
param scanNamespace string = 'aks-fleet-scanner'

@allowed(['per-pool', 'all'])
@description('per-pool: one Ready Linux node per node pool; all: every Linux node.')
param scanNodes string = 'per-pool'

@allowed(['arm', 'resource-graph'])
@description('arm: list clusters per subscription; resource-graph: one tenant-wide Azure Resource Graph query.')
param scanDiscovery string = 'arm'

@secure()
@description('Teams Workflows webhook URL for new FAIL alerts; stored only in Key Vault. Empty: no alerts.')
param teamsWebhookUrl string = ''

@description('Teams alert routes: name=subscription:<id>, name=resourceGroup:<glob> or name=tag:<key>[=<value>], separated by ";" (the app setting ALERT_ROUTES). Each route named needs its URL in alertRouteUrls.')
param alertRoutes string = ''

@secure()
@description('Webhook URL per alert route name, e.g. {"payments": "https://..."}; each stored only in Key Vault, the app setting ALERT_ROUTE_<NAME>_URL a Key Vault reference to it.')
param alertRouteUrls object = {}

@secure()
@description('alertRouteUrls as text, for azd: `azd env set ALERT_ROUTE_URLS "payments=https://...;web=https://..."` (azd passes an environment value as a string, never an object). name=URL entries separated by ";"; only the first "=" of an entry separates, so a URL keeps its query. Merged over alertRouteUrls.')
param alertRouteUrlList string = ''

// Entries without a name (no "=" after a first character) are left out; the app then reports the route's URL setting as missing, by name.
var alertRouteUrlEntries = filter(map(split(alertRouteUrlList, ';'), e => trim(e)), e => indexOf(e, '=') > 0)
var routeUrls = union(
  alertRouteUrls,
  toObject(alertRouteUrlEntries, e => trim(substring(e, 0, indexOf(e, '='))), e => trim(substring(e, indexOf(e, '=') + 1)))
)

@description('Object id of the deploying principal. azd always fills it from the signed-in account, so it grants nothing by itself: see grantDeployerDataAccess.')
param principalId string = ''

@description('Give the deploying principal (principalId) Blob, Queue and Table Data Contributor on the storage account, for running the CLI or func start against it. Off by default.')
param grantDeployerDataAccess bool = false

@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string = 'User'

@allowed(['20', '22'])
@description('Node.js major version of the Flex Consumption runtime.')
param nodeVersion string = '22'

// Sizing, from the fleet bench (npm run bench -- --only fleet; README "Deploy to Azure", Sizing).
// A scan is a chain of short steps (POST the command, poll once it should be done, store), each one
// queue message; no invocation waits for a command. Each instance of the scanCluster queue function
// runs batchSize + newBatchThreshold steps at once (host.json: 16 + 8 = 24) and the function scales
// up to maximumInstanceCount instances (per function group): 24 x 40 = up to 960 steps at once.
// Measured (400 clusters in 4 subscriptions through the step design): 2 steps and 2 ARM requests
// per cluster. The pace is then set by each subscription's AKS "all other APIs" bucket (60, then
// 1/s): for 10,000 clusters in 100 subscriptions the buckets need about 3.3 minutes plus one
// command; 40 x 24 slots keep up with that while a step takes under about 10 s (4.5 s measured on
// a machine at load 20, a fraction of that unloaded). More instances would only meet 429s. SCAN_CONCURRENCY and SCAN_PER_SUBSCRIPTION are settings of the CLI's scan
// command; the Function app does not read them.
@minValue(1)
@maxValue(1000)
@description('Upper bound on Flex instances per function group; steps run at once = (batchSize + newBatchThreshold = 24) x this.')
param maximumInstanceCount int = 40

@description('Entra ID app registration (client) id for App Service Authentication on the API. Empty: no Easy Auth.')
param authClientId string = ''

@description('Comma-separated client ids whose tokens Easy Auth accepts (allowedApplications). Empty: the app registration itself (authClientId) only.')
param authAllowedApplications string = ''

@description('Dashboard sign-in without a client secret: the app registration trusts the app\'s managed identity through a federated credential (see infra/README.md).')
param authSignInWithManagedIdentity bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var serviceName = 'scanner'
var functionAppName = 'func-aksfs-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var webhookSecretName = 'teams-webhook-url'
// Names are fixed at deploy time (not read back from module outputs) so that
// modules depending on them stay predictable for what-if.
var names = {
  identity: 'id-aksfs-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  plan: 'plan-${resourceToken}'
}

// Lists arrive as "a, b,,c" from azd environment variables; the app gets a
// canonical "a,b,c" so it never has to guess at whitespace or empty entries.
var scanSubscriptionList = filter(map(split(scanSubscriptions, ','), s => trim(s)), s => !empty(s))
var excludedSubscriptionList = filter(map(split(excludedSubscriptions, ','), s => trim(s)), s => !empty(s))
var authAllowedApplicationList = filter(map(split(authAllowedApplications, ','), s => trim(s)), s => !empty(s))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueNames: [
      'scan-cluster'
      'scan-cluster-poison'
    ]
  }
}

module keyVault 'core/security/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    webhookSecretName: webhookSecretName
    teamsWebhookUrl: teamsWebhookUrl
    alertRouteUrls: routeUrls
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    applicationInsightsName: names.applicationInsights
    appIdentityName: names.identity
    userPrincipalId: grantDeployerDataAccess ? principalId : ''
    userPrincipalType: principalType
  }
  dependsOn: [
    identity
    storage
    keyVault
    monitoring
  ]
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: names.plan
    location: location
    tags: tags
    serviceName: serviceName
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: names.storage
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    teamsWebhookSecretUri: empty(teamsWebhookUrl) ? '' : keyVault.outputs.webhookSecretUri
    alertRoutes: alertRoutes
    // Route names only: the URLs stay in Key Vault, and each setting is a reference to its secret.
    alertRouteSecretUris: toObject(items(routeUrls), r => r.key, r => '${keyVault.outputs.uri}secrets/teams-route-${replace(toLower(r.key), '_', '-')}')
    scanSchedule: scanSchedule
    retentionDays: retentionDays
    scanSubscriptions: join(scanSubscriptionList, ',')
    excludedSubscriptions: join(excludedSubscriptionList, ',')
    kubeBenchImage: kubeBenchImage
    scanNamespace: scanNamespace
    scanNodes: scanNodes
    scanDiscovery: scanDiscovery
    authClientId: authClientId
    authAllowedApplications: empty(authAllowedApplicationList) ? (empty(authClientId) ? [] : [authClientId]) : authAllowedApplicationList
    authSignInWithManagedIdentity: authSignInWithManagedIdentity
  }
  // The host starts as soon as the app exists; without its storage roles in
  // place it fails its first lease and queue calls and backs off for minutes.
  dependsOn: [
    rbac
    storage
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_SCANNER_NAME string = functionApp.outputs.name
output SERVICE_SCANNER_URI string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
// scanner-role.bicep needs this principal id in every subscription to scan.
output SCANNER_PRINCIPAL_ID string = identity.outputs.principalId
output SCANNER_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
