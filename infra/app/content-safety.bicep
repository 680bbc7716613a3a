// Azure AI Content Safety: the classifier layer that checks every prompt before anything is spent, and the
// output check of every picture before anyone sees it (shared/safety/contentSafety.ts). Keyless: local auth is off, and the app's managed identity calls it with
// 'Cognitive Services User' (infra/app/rbac.bicep). Text moderation and Prompt Shields are both offered in the
// regions listed in the service overview ("Region availability", read 2026-11-25), e.g. swedencentral.
param name string
param location string
param tags object = {}

module account 'br/public:avm/res/cognitive-services/account:0.10.2' = {
  name: 'content-safety-account'
  params: {
    name: name
    location: location
    tags: tags
    kind: 'ContentSafety'
    sku: 'S0'
    customSubDomainName: name
    disableLocalAuth: true // keyless: Microsoft Entra ID only
    publicNetworkAccess: 'Enabled'
  }
}

output name string = account.outputs.name
output endpoint string = account.outputs.endpoint
