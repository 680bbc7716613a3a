import type { ContainerClient } from '@azure/storage-blob';
import { parseOperationRecord, type OperationRecord } from './operation';
import { readJsonBlob, updateJsonBlob, writeJsonBlob } from '../storage/blobJson';

/**
 * Operation records (privacy/operation.ts) as JSON blobs `{id}.json`, changed only under their ETag (as
 * job records are), with the status in blob metadata so the sweep finds stranded ones from the listing.
 */
export interface OperationStore {
  create(operation: OperationRecord): Promise<void>;
  get(id: string): Promise<OperationRecord | undefined>;
  /** Applies `change` under the ETag; undefined from `change` leaves it; returns the record as stored, or undefined when absent. */
  update(id: string, change: (operation: OperationRecord) => OperationRecord | undefined): Promise<OperationRecord | undefined>;
  /** Every operation from the listing alone (id, status, last change), for the sweep. (Old ones go by the lifecycle rule delete-old-operations.) */
  list(): AsyncIterable<{ readonly id: string; readonly status?: string; readonly lastModified: Date }>;
  createIfNotExists(): Promise<void>;
}

export function createOperationStore(container: ContainerClient): OperationStore {
  const blobFor = (id: string) => container.getBlockBlobClient(`${id}.json`);
  const metadata = (operation: OperationRecord) => ({ status: operation.status });
  return {
    async create(operation) {
      await writeJsonBlob(blobFor(operation.id), operation, { ifNoneMatch: '*' }, metadata(operation));
    },
    async get(id) {
      const found = await readJsonBlob(blobFor(id));
      return found ? parseOperationRecord(found.value, `Operation ${id}`) : undefined;
    },
    async update(id, change) {
      const { value } = await updateJsonBlob<OperationRecord>(blobFor(id), {
        parse: (value) => parseOperationRecord(value, `Operation ${id}`),
        change: (current) => (current ? change(current) : undefined),
        metadata,
        maxAttempts: 10,
      });
      return value;
    },
    async *list() {
      for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
        const status = blob.metadata?.['status'];
        yield { id: blob.name.replace(/\.json$/, ''), lastModified: blob.properties.lastModified, ...(status ? { status } : {}) };
      }
    },
    async createIfNotExists() {
      await container.createIfNotExists();
    },
  };
}
