/**
 * The resource API versions infra/ names directly, and where Azure/azure-rest-api-specs publishes each one
 * (looked up in the specs repository's index on 2026-12-06; the folder `stable/<version>` of the provider
 * and an example of the operation we rely on). A version not listed here fails
 * test/infra/avmModules.test.ts: look it up before adding it (docs/contracts.md, "infra/").
 */
export const publishedResourceApiVersions: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'Microsoft.Resources/resourceGroups': {
    '2021-04-01': 'specification/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/ (examples/CreateResourceGroup.json)',
  },
  'Microsoft.Storage/storageAccounts': {
    '2023-05-01': 'specification/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/ (Storage.Management/examples/2023-05-01/StorageAccountCreate.json)',
  },
  'Microsoft.Storage/storageAccounts/queueServices': {
    '2023-05-01': 'specification/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/ (Storage.Management/examples/2023-05-01/QueueServicesPut.json)',
  },
  'Microsoft.Storage/storageAccounts/queueServices/queues': {
    '2023-05-01': 'specification/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/ (Storage.Management/examples/2023-05-01/QueueOperationPut.json)',
  },
  'Microsoft.Storage/storageAccounts/tableServices': {
    '2023-05-01': 'specification/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/ (the Storage.Management table operations of that version)',
  },
  'Microsoft.Storage/storageAccounts/tableServices/tables': {
    '2023-05-01': 'specification/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/ (the Storage.Management table operations of that version)',
  },
  'Microsoft.Storage/storageAccounts/managementPolicies': {
    '2023-05-01': 'specification/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/ (Storage.Management/examples/2023-05-01/StorageAccountSetManagementPolicy.json)',
  },
  'Microsoft.Insights/components': {
    '2020-02-02': 'specification/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/components_API.json',
  },
  'Microsoft.Insights/actionGroups': {
    '2023-01-01': 'specification/monitor/resource-manager/Microsoft.Insights/stable/2023-01-01/actionGroups_API.json (examples/getActionGroup.json)',
  },
  'Microsoft.Insights/scheduledQueryRules': {
    '2023-03-15-preview': 'specification/monitor/resource-manager/Microsoft.Insights/preview/2023-03-15-preview/scheduledQueryRule_API.json (examples/createOrUpdateScheduledQueryRule.json)',
  },
  'Microsoft.Insights/workbooks': {
    '2022-04-01': 'specification/applicationinsights/resource-manager/Microsoft.Insights/stable/2022-04-01/workbooks_API.json (examples/WorkbookAdd.json)',
  },
  'Microsoft.KeyVault/vaults': {
    '2023-07-01': 'specification/keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/ (examples/getVault.json, updateVault.json)',
  },
  'Microsoft.KeyVault/vaults/secrets': {
    '2023-07-01': 'specification/keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/secrets.json (examples/createSecret.json)',
  },
  'Microsoft.CognitiveServices/accounts': {
    '2024-10-01': 'specification/cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable/2024-10-01/cognitiveservices.json (examples/CreateAccount.json)',
  },
  'Microsoft.Authorization/roleAssignments': {
    '2022-04-01': 'specification/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json (examples/RoleAssignments_CreateForResource.json)',
  },
};
