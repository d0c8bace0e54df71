// Grants the scanner's identity what it needs in ONE subscription: list and
// read AKS clusters, run a command on them and read the command's result.
// Deploy it once per subscription to scan:
//   az deployment sub create --subscription <sub> --location <region> \
//     --template-file infra/scanner-role.bicep --parameters principalId=<SCANNER_PRINCIPAL_ID>
//
// No built-in role below Contributor has exactly these actions: "Azure
// Kubernetes Service Cluster Admin Role" lacks commandResults/read, and
// "Azure Kubernetes Service Contributor Role" can also create, scale and delete
// clusters and agent pools.
targetScope = 'subscription'

@description('Principal (object) id of the scanner\'s user-assigned managed identity (output SCANNER_PRINCIPAL_ID of main.bicep).')
param principalId string

@allowed(['ServicePrincipal', 'User', 'Group'])
@description('ServicePrincipal for the managed identity; User or Group to let a person run the scanner from a workstation.')
param principalType string = 'ServicePrincipal'

// Role names are unique per tenant, not per subscription, so the subscription
// id is part of the default name: the same template can then run in every
// subscription of the tenant without RoleDefinitionWithSameNameExists.
@description('Display name of the custom role; must be unique in the tenant.')
param roleName string = 'AKS Fleet Scanner (${subscription().subscriptionId})'

var scannerActions = [
  'Microsoft.ContainerService/managedClusters/read'
  'Microsoft.ContainerService/managedClusters/runCommand/action'
  'Microsoft.ContainerService/managedClusters/commandResults/read'
  'Microsoft.Resources/subscriptions/read'
]

resource scannerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  // Stable per subscription, so redeploying updates the role instead of adding one.
  name: guid(subscription().id, 'aks-fleet-scanner')
  properties: {
    roleName: roleName
    description: 'Read AKS clusters, run kube-bench on them through run-command and read the results. Used by aks-fleet-scanner.'
    type: 'CustomRole'
    permissions: [
      {
        actions: scannerActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

resource scannerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, scannerRole.id)
  properties: {
    roleDefinitionId: scannerRole.id
    principalId: principalId
    principalType: principalType
    description: 'aks-fleet-scanner: scan AKS clusters in this subscription'
  }
}

output roleDefinitionId string = scannerRole.id
output roleAssignmentId string = scannerAssignment.id
