import { z } from 'zod';
import type { Tenant } from '../config/tenants';
import { retentionDaysOf, type AppConfig } from '../config/config';
import { badQuery, continuationTokenQuery, failedOnToken, parseListQuery } from '../listing/listingQuery';
import { jobResourceSchema, renderJob, type ViewDeps } from '../views/jobView';
import type { Quotas } from '../access/quotas';
import type { JobIndex } from '../storage/jobIndex';
import type { JobStore } from '../storage/jobStore';
import type { SafetyEventStore } from '../storage/safetyEventStore';
import { renderSafetyEvent, safetyEventSchema } from '../safety/safetyEventListing';
import { usageSchema } from '../access/quotas';

/**
 * A student's export (GET /api/students/{user}/export): everything the service keeps about one student of
 * the school, as the API shows it elsewhere: each job as GET /api/jobs/{id} answers the school (its prompt,
 * metadata, times, outcome, usage and webhook log, with fresh read-only links to the pictures), the
 * student's safety events as GET /api/safety-events lists them, and their quota usage today.
 *
 * Synchronous and paged, not an operation with a stored result: a stored export would be one more copy of
 * the child's data to keep, secure and erase, and its picture links would expire before anyone fetched it.
 * A page holds at most 25 jobs (each needs a record read and links signed: well under a second) or 100
 * safety events; jobs come first, then events, and `nextLink` leads on until the last page. A student with
 * hundreds of jobs is a few dozen quick requests, each recorded in the access log.
 */

const jobsPerPage = 25;
const eventsPerPage = 100;

export const studentExportQuerySchema = z.strictObject({
  continuationToken: continuationTokenQuery(8192),
});

export const studentExportSchema = z
  .object({
    user: z.string().meta({ description: 'The student id, as the LMS sent it.' }),
    exportedDateTime: z.string(),
    retentionDays: z.int().meta({ description: "How long this school keeps a job, its pictures and safety events after their last change." }),
    usage: usageSchema.shape.user.meta({ description: "The student's images today against their daily quota (first page only)." }),
    jobs: z.array(jobResourceSchema.omit({ statusUrl: true, statusUrlExpiresOn: true, queue: true })).meta({
      description: 'The student\'s jobs, newest first, as GET /api/jobs/{id} shows them to the school (without a status URL); picture links are read-only and expire (SAS_EXPIRY_MINUTES).',
    }),
    safetyEvents: z.array(safetyEventSchema).meta({ description: "The student's refused prompts, newest first, as GET /api/safety-events lists them." }),
    nextLink: z.string().optional().meta({ description: 'The next page; absent on the last page.' }),
  })
  .meta({ id: 'StudentExport' });
export type StudentExport = z.infer<typeof studentExportSchema>;

/** Where the next page starts: in the jobs (a listing token, or the start), or in the safety events. */
const cursorSchema = z.union([z.object({ phase: z.literal('jobs'), token: z.string().optional() }), z.object({ phase: z.literal('events'), token: z.string().optional() })]);
type Cursor = z.infer<typeof cursorSchema>;

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string | undefined): Cursor {
  if (token === undefined) return { phase: 'jobs' };
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the 400 below
  }
  return badQuery('continuationToken', 'continuationToken is not one this service gave out.');
}

export function parseStudentExportQuery(query: Record<string, string>): z.infer<typeof studentExportQuerySchema> {
  return parseListQuery(studentExportQuerySchema, query);
}

/** What a student's export reads: the index and records of their jobs (rendered as their school sees them), their safety events and usage. */
export interface ExportDeps extends ViewDeps {
  readonly config: ViewDeps['config'] & Pick<AppConfig, 'retentionDays' | 'tenants'>;
  readonly jobIndex: JobIndex;
  readonly jobs: JobStore;
  readonly safetyEvents: SafetyEventStore;
  readonly quotas: Quotas;
  ensureStorage(): Promise<void>;
}

/** One page of the student's export; `exportUrl` is this route's absolute URL (nextLink is built from it), `jobUrlFor` a job's. */
export async function exportStudent(services: ExportDeps, tenant: Tenant, user: string, continuationToken: string | undefined, urls: { exportUrl: string; jobUrlFor: (id: string) => string }, now: Date = new Date()): Promise<StudentExport> {
  await services.ensureStorage();
  const cursor = decodeCursor(continuationToken);
  const base = {
    user,
    exportedDateTime: now.toISOString(),
    retentionDays: retentionDaysOf(services.config, tenant),
    ...(cursor.phase === 'jobs' && cursor.token === undefined ? { usage: (await services.quotas.usage(tenant, user, now)).user } : {}),
  };
  const eventsPage = async (token: string | undefined) => {
    const page = await services.safetyEvents.list(tenant.id, { user }, { top: eventsPerPage, ...(token ? { continuationToken: token } : {}) });
    const safetyEvents = page.events.map(renderSafetyEvent);
    return { safetyEvents, ...(page.continuationToken ? { nextLink: next({ phase: 'events', token: page.continuationToken }) } : {}) };
  };
  const next = (cursor: Cursor) => `${urls.exportUrl}?${new URLSearchParams({ continuationToken: encodeCursor(cursor) }).toString()}`;
  try {
    if (cursor.phase === 'jobs') {
      const page = await services.jobIndex.list(tenant.id, { user }, { top: jobsPerPage, ...(cursor.token ? { continuationToken: cursor.token } : {}) });
      const records = await Promise.all(page.entries.map((entry) => services.jobs.get(entry.id)));
      const jobs = await Promise.all(
        records.flatMap((job) => (job && job.tenantId === tenant.id ? [job] : [])).map(async (job) => {
          const { statusUrl: _statusUrl, statusUrlExpiresOn: _expiresOn, queue: _queue, ...shown } = await renderJob(services, job, { caller: { kind: 'tenant', tenant }, jobUrl: urls.jobUrlFor(job.id), now });
          return shown;
        }),
      );
      if (page.continuationToken) return { ...base, jobs, safetyEvents: [], nextLink: next({ phase: 'jobs', token: page.continuationToken }) };
      // The last jobs: the first safety events come on the same page (a student with few jobs gets one page).
      return { ...base, jobs, ...(await eventsPage(undefined)) };
    }
    return { ...base, jobs: [], ...(await eventsPage(cursor.token)) };
  } catch (error) {
    if (cursor.token !== undefined && failedOnToken(error)) badQuery('continuationToken', 'continuationToken is not one this service gave out.');
    throw error;
  }
}
