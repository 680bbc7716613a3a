import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import type { StorageConfig } from './config';

export interface StorageClients {
  readonly blobService: BlobServiceClient;
  readonly queueService: QueueServiceClient;
  /** Present for identity-based access; SAS links are then user-delegation SAS. */
  readonly credential?: TokenCredential;
}

export function createCredential(clientId: string | undefined): TokenCredential {
  // A user-assigned managed identity is named by its client id; without one, DefaultAzureCredential tries
  // the environment, workload and managed identity, then a developer's Azure CLI or azd sign-in.
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

export function createStorageClients(config: StorageConfig): StorageClients {
  if (config.kind === 'connectionString') {
    return {
      blobService: BlobServiceClient.fromConnectionString(config.connectionString),
      queueService: QueueServiceClient.fromConnectionString(config.connectionString),
    };
  }
  const credential = createCredential(config.clientId);
  return {
    blobService: new BlobServiceClient(config.blobServiceUri, credential),
    queueService: new QueueServiceClient(config.queueServiceUri, credential),
    credential,
  };
}
