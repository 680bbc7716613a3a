// Edu4All Image Jobs on Azure: a Flex Consumption Function App with a user-assigned managed identity,
// a storage account with shared keys off, an Azure OpenAI image deployment, and Application Insights
// with local auth off. No keys or connection strings anywhere: every app setting is identity-based.
// Laid out as Microsoft's Flex Consumption azd templates; check with `az bicep build --file infra/main.bicep`.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to make resource names unique.')
param environmentName string

@minLength(1)
@description('Region for the Function App and storage (one that offers Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Region for Azure OpenAI: one where the image model is offered as GlobalStandard. gpt-image-2: eastus2, polandcentral, swedencentral, uaenorth, westus3 (Microsoft Learn model matrix, read 2026-11-25).')
param openAiLocation string = 'swedencentral'

@description('Regions to deploy the image model in, one keyless Azure OpenAI account each, the first preferred for Content Safety. Quota is per subscription, region and model, so each region adds its own (gpt-image-2: about 9 requests a minute by default), and the app keeps going when one region is down (IMAGE_DEPLOYMENTS, docs/deploy.md). EU data zone: list only EU regions (swedencentral, polandcentral).')
@minLength(1)
param openAiLocations array = [openAiLocation]

@description('Object id of the deploying user; gets the same data roles so the app can run locally against these resources. Empty to skip.')
param principalId string = ''

@description('The image model to deploy; also IMAGE_MODEL, which picks its catalogue entry (shared/resources/model-catalogue.json). Only models not retired in Azure; a test keeps this list equal to the catalogue.')
@allowed(['gpt-image-2', 'gpt-image-1.5', 'gpt-image-1-mini'])
param imageModelName string = 'gpt-image-2'

@description('Version of the image model (the catalogue\'s azureModelVersion): gpt-image-2 is 2026-04-21.')
param imageModelVersion string = '2026-04-21'

@description('Deployment SKU of the image model.')
param imageDeploymentSkuName string = 'GlobalStandard'

@description('Capacity units of the image deployment. The default quota of 2 units allows about 6 image requests a minute.')
@minValue(1)
param imageDeploymentCapacity int = 2

@description('Most Function App instances Flex Consumption may run. Each instance runs up to batchSize + newBatchThreshold jobs (host.json), so keep instances × concurrency near the image quota.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 2

@description('Memory per instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Concurrent HTTP requests per instance before Flex Consumption adds another.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Days after which job records, images and safety events are deleted (RETENTION_DAYS), for schools whose TENANTS entry sets no retentionDays of its own.')
@minValue(1)
param retentionDays int = 30

@description('Days the record of access (who read which children\'s data) and finished erasure operations are kept (ACCESS_LOG_RETENTION_DAYS).')
@minValue(1)
param accessLogRetentionDays int = 365

@description('The tenants (schools) as JSON, with SHA-256 hashes of their API keys and their quotas: see docs/security.md, Authentication. Hashes are not secrets; the keys never reach Azure.')
param tenants string

@description('E-mail address for the operations alerts (infra/app/monitoring.bicep); empty: alerts show in the portal only.')
param alertEmail string = ''

@description('Comma-separated LMS origins whose pages may poll job status with a status token (CORS).')
param corsAllowedOrigins string = ''

@secure()
@description('Signs the status tokens of browser status URLs. azd generates it once and keeps it in the environment; it is stored in Key Vault.')
@metadata({ azd: { type: 'generate', config: { length: 48, noSpecial: true } } })
param statusTokenSecret string

@description('Lifetime of image links, in minutes.')
@minValue(1)
@maxValue(1440)
param sasExpiryMinutes int = 60

@description('Partial images (live previews) per picture, 0-3; 0 turns streaming off.')
@minValue(0)
@maxValue(3)
param partialImages int = 2

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-api-${resourceToken}'
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
// The names the code uses (shared/storageNames.ts); a test checks that they match.
var jobQueueName = 'image-jobs'
var poisonQueueName = 'image-jobs-poison'
var webhookQueueName = 'webhook-deliveries'
var webhookPoisonQueueName = 'webhook-deliveries-poison'
var jobIndexTableName = 'jobindex'
var safetyEventsTableName = 'safetyevents'
var jobsContainerName = 'jobs'
var imagesContainerName = 'images'
var usageContainerName = 'usage'
var idempotencyContainerName = 'idempotency'
var uploadsContainerName = 'uploads'
var operationsContainerName = 'operations'
var erasureQueueName = 'student-erasures'
var erasurePoisonQueueName = 'student-erasures-poison'
var accessLogTableName = 'accesslog'
// The line of jobs waiting for their calls, in turns (shared/storage/lineStore.ts).
var lineTableName = 'waitingline'
// Blob names are not prefixed by school ({jobId}.json, {jobId}/0.png), and a lifecycle rule filters by prefix only,
// so one rule covers every school: it is the backstop at the longest retention any school has (TENANTS
// retentionDays, else retentionDays), and the sweepJobs timer deletes each school's data at its own
// (shared/upkeep/retention.ts).
var schoolRetentionDays = map(json(tenants), tenant => contains(tenant, 'retentionDays') ? tenant.retentionDays : retentionDays)
var longestRetentionDays = max(concat([retentionDays], schoolRetentionDays))
var openAiApiVersion = '2025-04-01-preview'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module apiIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'apiUserAssignedIdentity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appserviceplan'
  scope: rg
  params: {
    name: 'plan-${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity only: no account keys, no connection strings
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      // No versions: a deleted picture must not live on as a previous version (some module versions
      // default this to true), and the lifecycle rules (storage-data.bicep) delete base blobs and snapshots.
      isVersioningEnabled: false
      // No soft delete either (the module turns it on for 7 days by default): an erased or expired picture,
      // prompt or job record must be gone when the erasure or the retention rule says so, not recoverable.
      deleteRetentionPolicyEnabled: false
      containers: [
        { name: deploymentStorageContainerName }
        { name: jobsContainerName }
        { name: imagesContainerName }
        { name: usageContainerName }
        { name: idempotencyContainerName }
        { name: uploadsContainerName }
        { name: operationsContainerName }
      ]
    }
  }
}

module storageData 'app/storage-data.bicep' = {
  name: 'storageData'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    queueNames: [jobQueueName, poisonQueueName, webhookQueueName, webhookPoisonQueueName, erasureQueueName, erasurePoisonQueueName]
    tableNames: [jobIndexTableName, safetyEventsTableName, accessLogTableName, lineTableName]
    lifecycleRules: [
      { name: 'delete-jobs-and-images-after-retention', containers: [jobsContainerName, imagesContainerName], days: longestRetentionDays }
      // Erasure operations (a pseudonym and counts once done: the record that an erasure happened) live as long as the access log.
      { name: 'delete-old-operations', containers: [operationsContainerName], days: accessLogRetentionDays }
      // Quota counters are needed for a month at most; 62 days covers any month.
      { name: 'delete-old-quota-counters', containers: [usageContainerName], days: 62 }
      // Idempotency keys must live at least 24 hours.
      { name: 'delete-old-idempotency-keys', containers: [idempotencyContainerName], days: 2 }
      // Uploaded pictures (children's photos) are needed only until their edit job has run: a day at most.
      { name: 'delete-old-uploads', containers: [uploadsContainerName], days: 1 }
    ]
  }
}

module keyVault 'app/key-vault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    statusTokenSecret: statusTokenSecret
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: '${uniqueString(deployment().name, location)}-loganalytics'
  scope: rg
  params: {
    name: 'log-${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: '${uniqueString(deployment().name, location)}-appinsights'
  scope: rg
  params: {
    name: 'appi-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true // telemetry is sent with the managed identity (Monitoring Metrics Publisher)
  }
}

// One account per region; the first keeps the name it always had, so a redeploy with more regions adds
// accounts and replaces none. Names and endpoints are known before deployment, so the app's
// IMAGE_DEPLOYMENTS can be a variable (a loop over module outputs could not be).
var openAiAccountNames = [for (region, i) in openAiLocations: i == 0 ? 'oai-${resourceToken}' : 'oai-${resourceToken}-${region}']
var imageDeployments = [
  for (region, i) in openAiLocations: {
    name: '${region}-${imageModelName}'
    // The endpoint the AVM module outputs for a custom subdomain (properties.endpoint of kind AIServices).
    endpoint: 'https://${openAiAccountNames[i]}.cognitiveservices.azure.com/'
    deployment: imageModelName
    region: region
    // Image deployments allow about 3 requests a minute per capacity unit.
    requestsPerMinute: imageDeploymentCapacity * 3
  }
]

module openAi 'br/public:avm/res/cognitive-services/account:0.10.2' = [
  for (region, i) in openAiLocations: {
    name: 'openai-${i}'
    scope: rg
    params: {
      name: openAiAccountNames[i]
      location: region
      tags: tags
      kind: 'AIServices'
      sku: 'S0'
      customSubDomainName: openAiAccountNames[i]
      disableLocalAuth: true // keyless: Microsoft Entra ID only
      publicNetworkAccess: 'Enabled'
      deployments: [
        {
          name: imageModelName
          model: {
            format: 'OpenAI'
            name: imageModelName
            version: imageModelVersion
          }
          sku: {
            name: imageDeploymentSkuName
            capacity: imageDeploymentCapacity
          }
        }
      ]
    }
  }
]

module contentSafety 'app/content-safety.bicep' = {
  name: 'contentSafety'
  scope: rg
  params: {
    name: 'cs-${resourceToken}'
    // Prompt Shields and text moderation are both offered there (the service's region table).
    location: openAiLocations[0]
    tags: tags
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    applicationInsightsName: monitoring.outputs.name
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentStorageContainerName
    identityId: apiIdentity.outputs.resourceId
    identityClientId: apiIdentity.outputs.clientId
    runtimeName: 'node'
    runtimeVersion: '22' // Node 20 reached end of support on 2026-04-30; 22 is supported until 2027-04-30
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    appSettings: {
      IMAGE_PROVIDER: 'azure-openai'
      IMAGE_MODEL: imageModelName
      AZURE_OPENAI_ENDPOINT: openAi[0].outputs.endpoint
      AZURE_OPENAI_DEPLOYMENT: imageModelName
      // Every region's deployment, each paced to its own quota, failing over between them (provider/deploymentPool.ts).
      IMAGE_DEPLOYMENTS: string(imageDeployments)
      AZURE_OPENAI_API_VERSION: openAiApiVersion
      // The classifier layer, called keylessly with the app's identity (Cognitive Services User).
      CONTENT_SAFETY_ENDPOINT: contentSafety.outputs.endpoint
      // The output check: image:analyze on every picture and preview before anyone sees it, on the same account
      // and role (priced per 1,000 images: see docs/safety.md). 'off' leaves pictures to the provider's filter.
      OUTPUT_CHECK: 'on'
      SAS_EXPIRY_MINUTES: string(sasExpiryMinutes)
      // An edit's pictures are held in memory while it runs, up to 3 jobs an instance (host.json): at about 4 MB
      // of RSS per MiB of input (npm run bench -- --only=edit-memory), 48 MiB a job keeps them to about 580 MB
      // of instanceMemoryMB (2,048). Raise instanceMemoryMB before raising this.
      MAX_EDIT_INPUT_MIB: '48'
      // Live previews: two partial images per picture (100 extra output tokens each on gpt-image models); 0 turns streaming off.
      PARTIAL_IMAGES: string(partialImages)
      // Image deployments allow about 3 requests a minute per capacity unit (2 units: about 6 a minute).
      IMAGE_REQUESTS_PER_MINUTE: string(imageDeploymentCapacity * 3)
      RETENTION_DAYS: string(retentionDays)
      ACCESS_LOG_RETENTION_DAYS: string(accessLogRetentionDays)
      // The sweepJobs timer's schedule (NCRONTAB), a binding expression in functions/sweepJobs.ts.
      SWEEP_SCHEDULE: '0 */5 * * * *'
      TENANTS: tenants
      CORS_ALLOWED_ORIGINS: corsAllowedOrigins
      // A Key Vault reference, resolved by the platform with the app's identity: the secret is in no setting.
      STATUS_TOKEN_SECRETS: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.statusTokenSecretUri})'
    }
  }
}

module operations 'app/monitoring.bicep' = {
  name: 'operations'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsName: monitoring.outputs.name
    logAnalyticsWorkspaceId: logAnalytics.outputs.resourceId
    alertEmail: alertEmail
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbacAssignments'
  scope: rg
  dependsOn: [openAi]
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    // By name, known before deployment; dependsOn above makes the assignments wait for the accounts.
    openAiAccountNames: openAiAccountNames
    contentSafetyAccountName: contentSafety.outputs.name
    keyVaultName: keyVault.outputs.name
    managedIdentityPrincipalId: apiIdentity.outputs.principalId
    userIdentityPrincipalId: principalId
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_FUNCTION_NAME string = api.outputs.SERVICE_API_NAME
output SERVICE_API_NAME string = api.outputs.SERVICE_API_NAME
output SERVICE_API_URL string = api.outputs.SERVICE_API_URL
output AZURE_OPENAI_ENDPOINT string = openAi[0].outputs.endpoint
output AZURE_OPENAI_DEPLOYMENT string = imageModelName
output CONTENT_SAFETY_ENDPOINT string = contentSafety.outputs.endpoint
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.primaryBlobEndpoint
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
