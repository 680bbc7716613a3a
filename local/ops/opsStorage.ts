import { loadConfigForOps, type OpsSettings } from './opsSettings';
import { createStorageClients, type StorageClients } from '../../shared/storage/clients';
import { createJobStore, type JobStore } from '../../shared/storage/jobStore';
import { storageNames } from '../../shared/storage/storageNames';
import { createSafetyEventStore, type SafetyEventStore } from '../../shared/storage/safetyEventStore';
import { createImageStore, type ImageStore } from '../../shared/storage/imageStore';
import { createCounterStore, type CounterStore } from '../../shared/storage/counterStore';
import { createWebhookQueue, type WebhookQueue } from '../../shared/webhooks/outbox/webhookQueue';
import { createLineStore, type LineStore } from '../../shared/storage/lineStore';
import { createJobQueue, type JobQueue } from '../../shared/storage/jobQueue';

/**
 * What the ops commands read and change, straight from storage: the local stack's Azurite (its connection
 * string, from local.settings.json or the environment) or, with `--account`, an Azure storage account
 * through DefaultAzureCredential (`az login`; the signed-in user needs the Storage Blob, Queue and Table Data
 * Contributor roles, or Reader roles for the commands that only read). No key is ever needed.
 */
export interface OpsStorage {
  readonly clients: StorageClients;
  readonly jobs: JobStore;
  readonly safetyEvents: SafetyEventStore;
  readonly images: ImageStore;
  readonly counters: CounterStore;
  readonly webhookQueue: WebhookQueue;
  /** The line of waiting jobs and the job queue (its tickets), for failing a poisoned job's message. */
  readonly line: LineStore;
  readonly jobQueue: JobQueue;
  readonly where: string;
}

export function openStorage(settings: OpsSettings): OpsStorage {
  const storage = loadConfigForOps(settings);
  const clients = createStorageClients(storage);
  return {
    clients,
    jobs: createJobStore(clients.blobService.getContainerClient(storageNames.jobsContainer)),
    safetyEvents: createSafetyEventStore(clients.tableClient(storageNames.safetyEventsTable)),
    images: createImageStore(clients.blobService.getContainerClient(storageNames.imagesContainer)),
    counters: createCounterStore(clients.blobService.getContainerClient(storageNames.usageContainer)),
    webhookQueue: createWebhookQueue(clients.queueService.getQueueClient(storageNames.webhookQueue)),
    line: createLineStore(clients.tableClient(storageNames.lineTable), storageNames.jobQueue),
    jobQueue: createJobQueue(clients.queueService.getQueueClient(storageNames.jobQueue)),
    where: storage.kind === 'identity' ? storage.blobServiceUri : 'the local stack (AzureWebJobsStorage)',
  };
}
