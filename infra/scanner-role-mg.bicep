// The same grant as scanner-role.bicep, once for a whole management group:
// every subscription under it, present and future, becomes scannable.
//   az deployment mg create --management-group-id <mg> --location <region> \
//     --template-file infra/scanner-role-mg.bicep --parameters principalId=<SCANNER_PRINCIPAL_ID>
// The deploying principal needs Microsoft.Authorization/roleDefinitions/write
// and roleAssignments/write at the management group (e.g. Owner or User
// Access Administrator plus a role-definition writer there).
targetScope = 'managementGroup'

@description('Principal (object) id of the scanner\'s user-assigned managed identity (output SCANNER_PRINCIPAL_ID of main.bicep).')
param principalId string

@allowed(['ServicePrincipal', 'User', 'Group'])
param principalType string = 'ServicePrincipal'

@description('Display name of the custom role; must be unique in the tenant.')
param roleName string = 'AKS Fleet Scanner (${managementGroup().name})'

var scannerActions = [
  'Microsoft.ContainerService/managedClusters/read'
  'Microsoft.ContainerService/managedClusters/runCommand/action'
  'Microsoft.ContainerService/managedClusters/commandResults/read'
  'Microsoft.Resources/subscriptions/read'
]

resource scannerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(managementGroup().id, 'aks-fleet-scanner')
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
      managementGroup().id
    ]
  }
}

resource scannerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, scannerRole.id)
  properties: {
    roleDefinitionId: scannerRole.id
    principalId: principalId
    principalType: principalType
    description: 'aks-fleet-scanner: scan AKS clusters in every subscription under this management group'
  }
}

output roleDefinitionId string = scannerRole.id
output roleAssignmentId string = scannerAssignment.id
