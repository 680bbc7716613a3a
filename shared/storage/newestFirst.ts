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
 * The RowKey bound for rows created at or after `since`, or undefined when every row qualifies. Newer rows
 * have smaller RowKeys, so "created at or after since" is "RowKey before the first key of since - 1 ms".
 * RowKeys compare as text, so the bound must have 13 digits too: at or before the epoch's first
 * millisecond (1970-01-01T00:00:00Z, 0001-01-01) every row qualifies and there is no bound (inverting
 * since - 1 would give 14 digits, which sorts before every key and listed nothing); after the last time a
 * RowKey can hold (year 2286) none does, and the bound 0000000000000 sorts before every key.
 */
export function sinceBound(since: Date): string | undefined {
  const time = since.getTime();
  if (time <= 0) return undefined;
  return invertedTime(Math.min(time, maxTime + 1) - 1);
}

/**
 * The OData filter for one school's rows created at or after `since`, with each given property equal to its
 * value. Every value goes through the library's `odata` tag, which quotes and escapes it, so a student or
 * class id can never change the query; property names come from our code.
 */
export function newestFirstFilter(tenantId: string, since: Date | undefined, equal: Readonly<Record<string, string | undefined>>): string {
  const clauses = [odata`PartitionKey eq ${tenantId}`];
  const bound = since === undefined ? undefined : sinceBound(since);
  if (bound !== undefined) clauses.push(odata`RowKey lt ${bound}`);
  // The tag quotes a value only after text ("eq "), so the operator stays inside it.
  for (const [name, value] of Object.entries(equal)) if (value !== undefined) clauses.push(`${name} ${odata`eq ${value}`}`);
  return clauses.join(' and ');
}
