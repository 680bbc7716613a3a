import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import type { StorageConfig } from '../config/config';

export interface StorageClients {
  readonly blobService: BlobServiceClient;
  readonly queueService: QueueServiceClient;
  /** A client for one table (the job-listing index). */
  tableClient(tableName: string): TableClient;
  /** Present for identity-based access; SAS links are then user-delegation SAS. */
  readonly credential?: TokenCredential;
}

export function createCredential(clientId: string | undefined): TokenCredential {
  // A user-assigned managed identity is named by its client id; without one, DefaultAzureCredential tries
  // the environment, workload and managed identity, then a developer's Azure CLI or azd sign-in.
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

/**
 * Storage calls sit on the path of an HTTP request (submit, status), so a storage outage must turn into a
 * prompt 503, not a minute of SDK back-off: a few quick retries, each try bounded. The SDK defaults are
 * 4 tries with delays up to 120 s and no per-try timeout.
 */
const storageRetryOptions = { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000, tryTimeoutInMs: 30_000 };

export function createStorageClients(config: StorageConfig): StorageClients {
  const options = { retryOptions: storageRetryOptions };
  if (config.kind === 'connectionString') {
    return {
      blobService: BlobServiceClient.fromConnectionString(config.connectionString, options),
      queueService: QueueServiceClient.fromConnectionString(config.connectionString, options),
      // Azurite's table endpoint is plain http; the SDK refuses to send a key over http unless told.
      tableClient: (tableName) =>
        TableClient.fromConnectionString(config.connectionString, tableName, { ...options, allowInsecureConnection: /^(UseDevelopmentStorage=true|.*TableEndpoint=http:)/i.test(config.connectionString) }),
    };
  }
  const credential = createCredential(config.clientId);
  return {
    blobService: new BlobServiceClient(config.blobServiceUri, credential, options),
    queueService: new QueueServiceClient(config.queueServiceUri, credential, options),
    tableClient: (tableName) => new TableClient(config.tableServiceUri, tableName, credential, options),
    credential,
  };
}
