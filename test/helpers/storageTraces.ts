import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient, TableServiceClient } from '@azure/data-tables';

/** One thing in storage: where it is, and its text (names, metadata, JSON bodies, entity properties, message text). */
export interface StoredThing {
  readonly where: string;
  readonly text: string;
}

/**
 * Everything in an Azurite account, as text: every blob of every container (its name, metadata and, unless it
 * is a picture, its body), every entity of every table, and every visible message of every queue. Tests of
 * erasure search it for what must be gone.
 */
export async function everythingStored(connectionString: string): Promise<StoredThing[]> {
  const things: StoredThing[] = [];
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  for await (const container of blobs.listContainers()) {
    const client = blobs.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat({ includeMetadata: true, includeSnapshots: true })) {
      const where = `blob ${container.name}/${blob.name}${blob.snapshot ? `@${blob.snapshot}` : ''}`;
      const isPicture = (blob.properties.contentType ?? '').startsWith('image/');
      const body = isPicture || blob.snapshot ? '' : (await client.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      things.push({ where, text: `${blob.name} ${JSON.stringify(blob.metadata ?? {})} ${body}` });
    }
  }
  const tableOptions = { allowInsecureConnection: true };
  const tables = TableServiceClient.fromConnectionString(connectionString, tableOptions);
  for await (const table of tables.listTables()) {
    const name = table.name ?? '';
    const client = TableClient.fromConnectionString(connectionString, name, tableOptions);
    for await (const entity of client.listEntities()) things.push({ where: `table ${name} ${String(entity.partitionKey)}/${String(entity.rowKey)}`, text: JSON.stringify(entity) });
  }
  const queues = QueueServiceClient.fromConnectionString(connectionString);
  for await (const queue of queues.listQueues()) {
    const peeked = await queues.getQueueClient(queue.name).peekMessages({ numberOfMessages: 32 });
    for (const message of peeked.peekedMessageItems) {
      const decoded = Buffer.from(message.messageText, 'base64').toString('utf8');
      things.push({ where: `queue ${queue.name} ${message.messageId}`, text: `${message.messageText} ${decoded}` });
    }
  }
  return things;
}
