// Key Vault that holds the Teams webhook URL. The URL is a bearer credential
// (anyone holding it can post into the channel), so it lives here rather than
// in app settings, and the app reads it through a Key Vault reference.
// Authorisation is Azure RBAC, not access policies, so grants are ordinary
// role assignments that show up next to all the others.
param name string
param location string
param tags object = {}

@description('Name of the secret that holds the Teams Workflows webhook URL.')
param webhookSecretName string

@secure()
@description('Teams Workflows webhook URL. Empty: no secret is written and alerting stays off.')
param teamsWebhookUrl string = ''

@secure()
@description('Webhook URL per alert route name; each becomes the secret teams-route-<name> (lower case, _ as -).')
param alertRouteUrls object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(teamsWebhookUrl)) {
  parent: vault
  name: webhookSecretName
  properties: {
    value: teamsWebhookUrl
    contentType: 'text/uri-list'
  }
}

resource routeSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for r in items(alertRouteUrls): {
    parent: vault
    name: 'teams-route-${replace(toLower(r.key), '_', '-')}'
    properties: {
      value: r.value
      contentType: 'text/uri-list'
    }
  }
]

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
// Versionless, so rotating the secret takes effect without redeploying the app.
output webhookSecretUri string = '${vault.properties.vaultUri}secrets/${webhookSecretName}'
