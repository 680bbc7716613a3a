import { RestError, type TableClient } from '@azure/data-tables';

/** Whether a Table storage call failed with one of these HTTP statuses (404: gone; 409: exists; 412: changed). */
export const isTableStatus = (error: unknown, ...statuses: number[]): boolean => error instanceof RestError && statuses.includes(error.statusCode ?? 0);

/**
 * Deletes every entity a filter finds, one by one (Table storage has no delete by query), and counts them;
 * an entity already gone (another instance's sweep, an erasure) is not an error.
 */
export async function deleteEntities(table: TableClient, filter: string): Promise<number> {
  let deleted = 0;
  for await (const entity of table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
    try {
      await table.deleteEntity(String(entity.partitionKey), String(entity.rowKey));
      deleted++;
    } catch (error) {
      if (!isTableStatus(error, 404)) throw error;
    }
  }
  return deleted;
}
