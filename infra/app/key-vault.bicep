// Key Vault for the one secret the app has: the key that signs status tokens. RBAC only (no access
// policies); the app reads it through a Key Vault reference with its managed identity.
param name string
param location string
param tags object = {}
@secure()
param statusTokenSecret string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'status-token-secret'
  properties: {
    value: statusTokenSecret
  }
}

output name string = vault.name
output statusTokenSecretUri string = secret.properties.secretUri
