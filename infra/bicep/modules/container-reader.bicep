// Storage Blob Data Reader for one principal on one existing blob container. A module so that the
// container may live in another resource group than driftscan (the Azure ML workspace storage).

@description('Existing storage account holding the container.')
param storageAccountName string

@description('Existing container to read.')
param containerName string

@description('Principal (object) id given read access.')
param principalId string

var roleStorageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: containerName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, principalId, roleStorageBlobDataReader)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageBlobDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output containerUrl string = '${account.properties.primaryEndpoints.blob}${containerName}'
