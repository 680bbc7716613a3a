// The queues and tables the app uses, and the lifecycle rules that delete what it keeps once it is no longer needed:
// job records and images after the retention period (children's data is kept no longer than needed),
// quota counters after two months, Idempotency-Key records after two days; each rule takes the blobs' snapshots too.
param storageAccountName string
param queueNames array
param tableNames array
@description('Each rule: { name, containers (array of container names), days (after last change) }.')
param lifecycleRules array

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    policy: {
      rules: [
        for rule in lifecycleRules: {
          name: rule.name
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: [for containerName in rule.containers: '${containerName}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: rule.days
                }
              }
              // An upload link's create permission lets its holder snapshot the blob (no SAS permission set can
              // forbid that), and a snapshot is a copy of the child's picture: snapshots go at the same age.
              // Versions need no action: versioning is off (main.bicep sets it), so there are none.
              snapshot: {
                delete: {
                  daysAfterCreationGreaterThan: rule.days
                }
              }
            }
          }
        }
      ]
    }
  }
}
