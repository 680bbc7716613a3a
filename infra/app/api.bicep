// The Function App on Flex Consumption, running as a user-assigned managed identity. Every setting that
// reaches storage, Azure OpenAI or Application Insights is identity-based.
param name string
param location string = resourceGroup().location
param tags object = {}
param applicationInsightsName string
param appServicePlanId string
param appSettings object = {}
param runtimeName string
param runtimeVersion string
param serviceName string = 'api'
param storageAccountName string
param deploymentStorageContainerName string
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 4
param httpPerInstanceConcurrency int = 16
param identityId string
param identityClientId string

resource stg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var identitySettings = {
  // AzureWebJobsStorage as an identity-based connection (blob for the host, queue for the triggers).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: stg.properties.primaryEndpoints.queue
  // The Table service: the job-listing index (shared/storage/jobIndex.ts).
  AzureWebJobsStorage__tableServiceUri: stg.properties.primaryEndpoints.table
  // DefaultAzureCredential and our Azure OpenAI client use this user-assigned identity.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// 0.15.1: the newest version with both functionAppConfig (Flex Consumption, from 0.10.0) and appSettingsKeyValuePairs
// (replaced by configs in 0.16.0); 0.9.0 has no functionAppConfig, which test/infra/avmModules.test.ts found.
module api 'br/public:avm/res/web/site:0.15.1' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    // Key Vault references in app settings are resolved with this identity.
    keyVaultAccessIdentityResourceId: identityId
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [identityId]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${stg.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    appSettingsKeyValuePairs: union(appSettings, identitySettings)
  }
}

output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URL string = 'https://${api.outputs.defaultHostname}'
