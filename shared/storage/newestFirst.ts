import { odata } from '@azure/data-tables';

/**
 * Table rows of one school, newest first (the job-listing index, the safety events): the PartitionKey is the
 * tenant and the RowKey starts with the inverted creation time, so a listing reads the newest rows first and
 * "since" is a RowKey range.
 */

/** Larger than any millisecond timestamp until the year 2286, so every inverted time has 13 digits. */
const maxTime = 9_999_999_999_999;

export function invertedTime(time: number): string {
  return String(maxTime - time).padStart(13, '0');
}

export function newestFirstRowKey(createdDateTime: string, id: string): string {
  return `${invertedTime(Date.parse(createdDateTime))}_${id}`;
}

/**
 * The OData filter for one school's rows created at or after `since`, with each given property equal to its
 * value. Every value goes through the library's `odata` tag, which quotes and escapes it, so a student or
 * class id can never change the query; property names come from our code.
 */
export function newestFirstFilter(tenantId: string, since: Date | undefined, equal: Readonly<Record<string, string | undefined>>): string {
  const clauses = [odata`PartitionKey eq ${tenantId}`];
  // Newer rows have smaller RowKeys: "created at or after since" is "RowKey before the first key of since - 1 ms".
  if (since) clauses.push(odata`RowKey lt ${invertedTime(since.getTime() - 1)}`);
  // The tag quotes a value only after text ("eq "), so the operator stays inside it.
  for (const [name, value] of Object.entries(equal)) if (value !== undefined) clauses.push(`${name} ${odata`eq ${value}`}`);
  return clauses.join(' and ');
}
