// The scanner's function app on the Flex Consumption plan (FC1), running as
// the user-assigned identity. Every connection it makes (host storage,
// tables, queue, Key Vault reference, Application Insights, ARM) authenticates
// as that identity; no key or connection string with a credential is set.
param name string
param planName string
param location string
param tags object = {}

@description('azd finds the app to deploy to through this tag value; it matches the service name in azure.yaml.')
param serviceName string

@allowed(['20', '22'])
param nodeVersion string

@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

param identityId string
param identityClientId string

param storageAccountName string
param deploymentContainerName string

param applicationInsightsConnectionString string

@description('Versionless Key Vault secret URI of the Teams webhook; empty when alerting is off.')
param teamsWebhookSecretUri string

@description('ALERT_ROUTES: the alert routes\' rules and names (no URL).')
param alertRoutes string = ''

@description('Versionless Key Vault secret URI of each alert route\'s webhook, by route name.')
param alertRouteSecretUris object = {}

param scanSchedule string
param retentionDays int
param scanSubscriptions string
param excludedSubscriptions string
param kubeBenchImage string
param scanNamespace string
param scanNodes string
param scanDiscovery string

@description('Entra ID application (client) id that protects the HTTP API with App Service Authentication. Empty: no Easy Auth.')
param authClientId string = ''

@description('Client ids whose tokens Easy Auth accepts (the token\'s azp/appid claim); a valid token from any other client is refused.')
param authAllowedApplications array = []

@description('Sign browsers in to the dashboard with the authorization code flow, the managed identity standing in for a client secret.')
param authSignInWithManagedIdentity bool = false

// App Service Authentication reads the client credential from the app setting that
// clientSecretSettingName names; this name makes it use the managed identity as a federated
// credential instead of a secret (MicrosoftDocs/azure-docs a47b487,
// articles/app-service/configure-authentication-provider-aad.md). Without any credential, browser
// sign-in falls back to the implicit flow, which Microsoft does not recommend.
var authIdentitySettingName = 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
var useIdentityForSignIn = !empty(authClientId) && authSignInWithManagedIdentity

// Identity-based host storage: one URI per service instead of a connection
// string, so the Functions host builds its clients with the managed identity.
var storageSuffix = environment().suffixes.storage
var blobServiceUri = 'https://${storageAccountName}.blob.${storageSuffix}'
var queueServiceUri = 'https://${storageAccountName}.queue.${storageSuffix}'
var tableServiceUri = 'https://${storageAccountName}.table.${storageSuffix}'

// Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION
// and WEBSITE_NODE_DEFAULT_VERSION: the runtime is set in functionAppConfig.
var appSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobServiceUri
  AzureWebJobsStorage__queueServiceUri: queueServiceUri
  AzureWebJobsStorage__tableServiceUri: tableServiceUri
  // DefaultAzureCredential picks the user-assigned identity by this client id;
  // without it, it would look for a system-assigned identity that does not exist.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  SCAN_SCHEDULE: scanSchedule
  RETENTION_DAYS: string(retentionDays)
  SCAN_SUBSCRIPTIONS: scanSubscriptions
  SCAN_EXCLUDE_SUBSCRIPTIONS: excludedSubscriptions
  KUBE_BENCH_IMAGE: kubeBenchImage
  SCAN_NAMESPACE: scanNamespace
  SCAN_NODES: scanNodes
  SCAN_DISCOVERY: scanDiscovery
  // An unresolvable reference would leave the literal "@Microsoft.KeyVault(...)"
  // text in the setting, which the app would then try to post to, so with no
  // secret the setting is empty and alerting is off.
  TEAMS_WEBHOOK_URL: empty(teamsWebhookSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${teamsWebhookSecretUri})'
  ALERT_ROUTES: alertRoutes
  // The housekeeping timer binds to %HOUSEKEEPING_SCHEDULE%: without the setting the host cannot index it.
  HOUSEKEEPING_SCHEDULE: '0 */5 * * * *'
}

// A Key Vault reference fills a whole setting, so each route's URL is its own setting.
var routeUrlSettings = toObject(items(alertRouteSecretUris), r => 'ALERT_ROUTE_${toUpper(r.key)}_URL', r => '@Microsoft.KeyVault(SecretUri=${r.value})')

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the system-assigned identity unless
    // told otherwise, and this app has none.
    keyVaultReferenceIdentity: identityId
    // FTP is closed by the ftp publishing policy below; Flex Consumption
    // accepts only a subset of siteConfig, so nothing else is set here.
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobServiceUri}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    // Alerts link to this app's own dashboard; the host name is only known once the app exists
    // (Flex Consumption apps may get a unique default host name, not <name>.azurewebsites.net).
    properties: union(
      appSettings,
      routeUrlSettings,
      { DASHBOARD_URL: 'https://${app.properties.defaultHostName}/api/dashboard' },
      useIdentityForSignIn ? { '${authIdentitySettingName}': identityClientId } : {}
    )
  }

  // azd deploys with an Entra token; nothing needs the basic-auth publishing
  // endpoints, so they are closed.
  resource ftpPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }

  // Easy Auth in front of the HTTP API. The health probe stays anonymous so
  // uptime checks work without a token; every other path needs an Entra token
  // for this app registration, and function keys still apply on top.
  resource auth 'config' = if (!empty(authClientId)) {
    name: 'authsettingsV2'
    properties: {
      platform: {
        enabled: true
      }
      globalValidation: {
        requireAuthentication: true
        unauthenticatedClientAction: 'Return401'
        // The dashboard page holds no data: Teams links open it, and its data calls need the session or a key.
        excludedPaths: [
          '/api/health'
          '/api/dashboard'
        ]
      }
      httpSettings: {
        requireHttps: true
      }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: union(
            {
              clientId: authClientId
              openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
            },
            useIdentityForSignIn ? { clientSecretSettingName: authIdentitySettingName } : {}
          )
          validation: {
            allowedAudiences: [
              'api://${authClientId}'
              authClientId
            ]
            // A valid token for this API is not enough: it must also come from an allowed client.
            defaultAuthorizationPolicy: {
              allowedApplications: authAllowedApplications
            }
          }
        }
      }
      login: {
        tokenStore: {
          enabled: false
        }
      }
    }
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName
