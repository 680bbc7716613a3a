import { z } from 'zod';
import { errorMessage } from '../errors';
import { badQuery, continuationTokenQuery, failedOnToken, parseListQuery, sinceQuery, topQuery } from '../listing/listingQuery';
import { userIdSchema } from '../jobs/jobRequest';
import type { Logger } from '../logger';
import type { AppConfig } from '../config/config';
import type { Pseudonyms } from '../access/pseudonyms';
import type { AccessEntry, AccessLogStore } from '../storage/accessLogStore';
import type { Tenant } from '../config/tenants';

/**
 * The record of access: every read of children's data through the API with a school's key (the job
 * listing, a job, the safety events, a student's export and erasure) is recorded with when, which school,
 * which key (its label: TENANTS apiKeys, or key-1/key-2 for apiKeyHashes), and what was asked (method, path
 * and query; never a prompt or a picture). The school reads it back with GET /api/access-log, and it is kept
 * ACCESS_LOG_RETENTION_DAYS.
 *
 * How it is written, and why: the append starts together with the read and runs beside it, and the answer
 * waits for both. So a read is slowed only by however much longer the append takes than the read itself
 * (both are one storage round trip or more), and the record is not lost when Azure freezes or recycles an
 * instance after its last answer, which an append left running after the answer could be. An append that
 * fails is logged as an error with the school, key and action, and never fails the read: a school must not
 * lose its children's pictures because a log table was throttled. Reads by a studio session or a status URL
 * (a student's own pictures, one job) are not recorded: they are the student looking at their own work.
 */

export interface AccessLogDeps {
  readonly accessLog: AccessLogStore;
  readonly pseudonyms: Pseudonyms;
  readonly config: Pick<AppConfig, 'accessLogRetentionDays'>;
  ensureStorage(): Promise<void>;
}

export async function withAccessRecord<T>(services: Pick<AccessLogDeps, 'accessLog'>, entry: AccessEntry, log: Logger, read: () => Promise<T>): Promise<T> {
  const recorded = services.accessLog.append(entry).catch((error: unknown) => {
    log.error(`Access log: a ${entry.action} by tenant ${entry.tenantId} (key ${entry.keyLabel}) could not be recorded: ${errorMessage(error)}`);
  });
  try {
    return await read();
  } finally {
    await recorded;
  }
}

/** GET /api/access-log's query: paged and filtered as the other listings are. */
export const listAccessLogQuerySchema = z.strictObject({
  since: sinceQuery('Only reads at or after this time (ISO 8601).'),
  keyLabel: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'keyLabel must be a key label such as key-1 or lms').optional().meta({ description: 'Only reads made with this key (its label).' }),
  user: userIdSchema.optional().meta({ description: 'Only reads about this student (a student route, or a listing filtered by user); the log keeps a pseudonym, never the id.' }),
  action: z.string().regex(/^[A-Za-z]{1,40}$/, 'action must be one of the actions listed (e.g. listJobs)').optional().meta({ description: 'Only this kind of read: listJobs, getJob, listSafetyEvents, exportStudent, eraseStudent.' }),
  top: topQuery(100, 'Most entries on one page (1-100, default 25).'),
  continuationToken: continuationTokenQuery(),
});
export type ListAccessLogQuery = z.infer<typeof listAccessLogQuerySchema>;

export const accessLogEntrySchema = z
  .object({
    id: z.string(),
    dateTime: z.string(),
    keyLabel: z.string().meta({ description: 'Which of the school\'s keys read: its label in TENANTS (apiKeys), or key-1/key-2 for apiKeyHashes. Never the key.' }),
    action: z.string().meta({ description: 'listJobs, getJob, listSafetyEvents, exportStudent or eraseStudent.' }),
    method: z.string(),
    path: z.string(),
    query: z.string().meta({ description: 'The query string as sent (filters and paging), empty when none; a student id is shown as {student}.' }),
    student: z.string().optional().meta({ description: 'The student the read was about, as a pseudonym (the log outlives an erasure, so it never keeps the id): filter with ?user= to find a student\'s entries.' }),
  })
  .meta({ id: 'AccessLogEntry' });

export const accessLogListSchema = z
  .object({
    value: z.array(accessLogEntrySchema),
    nextLink: z.string().optional().meta({ description: 'The next page; absent on the last page.' }),
  })
  .meta({ id: 'AccessLogList' });
export type AccessLogList = z.infer<typeof accessLogListSchema>;

export function parseListAccessLogQuery(query: Record<string, string>): ListAccessLogQuery {
  return parseListQuery(listAccessLogQuerySchema, query);
}

export async function listAccessLog(services: Pick<AccessLogDeps, 'accessLog' | 'ensureStorage' | 'pseudonyms'>, tenant: Tenant, query: ListAccessLogQuery, collectionUrl: string): Promise<AccessLogList> {
  await services.ensureStorage();
  const { top = 25, continuationToken, since, keyLabel, action, user } = query;
  let page;
  try {
    page = await services.accessLog.list(
      tenant.id,
      { ...(since ? { since: new Date(since) } : {}), ...(keyLabel ? { keyLabel } : {}), ...(action ? { action } : {}), ...(user ? { student: services.pseudonyms.studentKey(tenant.id, user) } : {}) },
      { top, ...(continuationToken ? { continuationToken } : {}) },
    );
  } catch (error) {
    if (continuationToken && failedOnToken(error)) badQuery('continuationToken', 'continuationToken is not one this service gave out.');
    throw error;
  }
  const value = [...page.entries];
  if (!page.continuationToken) return { value };
  const next = new URLSearchParams();
  for (const [name, item] of Object.entries({ ...query, top, continuationToken: page.continuationToken })) {
    if (item !== undefined) next.set(name, String(item));
  }
  return { value, nextLink: `${collectionUrl}?${next.toString()}` };
}

/** Deletes entries past ACCESS_LOG_RETENTION_DAYS (the sweep and the local retention run). */
export async function deleteExpiredAccessLog(services: Pick<AccessLogDeps, 'accessLog' | 'config' | 'ensureStorage'>, log: Logger, now: Date = new Date()): Promise<number> {
  await services.ensureStorage();
  const deleted = await services.accessLog.deleteOlderThan(new Date(now.getTime() - services.config.accessLogRetentionDays * 24 * 60 * 60_000));
  if (deleted > 0) log.log(`Retention: deleted ${deleted} access-log entries older than ${services.config.accessLogRetentionDays} days.`);
  return deleted;
}
