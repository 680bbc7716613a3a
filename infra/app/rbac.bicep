// The managed identity's roles, and only these, each scoped to the one resource it concerns.
// The deploying user gets the same data roles, so `npm start` can run against the cloud resources.
param storageAccountName string
param appInsightsName string
@description('One Azure OpenAI account per region of the image model (openAiLocations).')
param openAiAccountNames array
param contentSafetyAccountName string
param keyVaultName string
param managedIdentityPrincipalId string
@description('The deploying user; empty to skip.')
param userIdentityPrincipalId string = ''

// Built-in role definition ids.
// Storage Blob Data Owner: what the Functions host needs on AzureWebJobsStorage (deployment package,
// host keys and leases), and our reads and writes of job records and images.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Queue Data Contributor: send (submit), process, update and delete (queue trigger), and the
// host's poison queue.
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
// Storage Table Data Contributor: read, write and delete entities of the job-listing index (data only, no
// table management: infra/ creates the table).
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Storage Blob Delegator: getUserDelegationKey, for the user-delegation SAS image links.
var storageBlobDelegator = 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
// Cognitive Services OpenAI User: call the image deployment keylessly (no management rights).
var cognitiveServicesOpenAiUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
// Cognitive Services User: call Content Safety's text:analyze, text:shieldPrompt and image:analyze (the output
// check) keylessly (data actions only, no management rights).
var cognitiveServicesUser = 'a97b65f3-24c7-4388-baec-2e87135dc908'
// Monitoring Metrics Publisher: send telemetry to Application Insights with local auth disabled.
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
// Key Vault Secrets User: read the status-token secret through the app setting's Key Vault reference.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

var storageRoles = [storageBlobDataOwner, storageQueueDataContributor, storageTableDataContributor, storageBlobDelegator]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource openAiAccounts 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = [
  for name in openAiAccountNames: {
    name: name
  }
]

resource contentSafetyAccount 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: contentSafetyAccountName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource identitySecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, managedIdentityPrincipalId, keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identityStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storageAccount.id, managedIdentityPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: managedIdentityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource identityOpenAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in openAiAccountNames: {
    name: guid(openAiAccounts[i].id, managedIdentityPrincipalId, cognitiveServicesOpenAiUser)
    scope: openAiAccounts[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
      principalId: managedIdentityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource identityContentSafetyUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(contentSafetyAccount.id, managedIdentityPrincipalId, cognitiveServicesUser)
  scope: contentSafetyAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUser)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userContentSafetyUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userIdentityPrincipalId)) {
  name: guid(contentSafetyAccount.id, userIdentityPrincipalId, cognitiveServicesUser)
  scope: contentSafetyAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUser)
    principalId: userIdentityPrincipalId
    principalType: 'User'
  }
}

resource identityMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, managedIdentityPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: if (!empty(userIdentityPrincipalId)) {
    name: guid(storageAccount.id, userIdentityPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userIdentityPrincipalId
      principalType: 'User'
    }
  }
]

resource userOpenAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in openAiAccountNames: if (!empty(userIdentityPrincipalId)) {
    name: guid(openAiAccounts[i].id, userIdentityPrincipalId, cognitiveServicesOpenAiUser)
    scope: openAiAccounts[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
      principalId: userIdentityPrincipalId
      principalType: 'User'
    }
  }
]
