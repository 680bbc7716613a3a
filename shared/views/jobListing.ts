import { z } from 'zod';
import type { Tenant } from '../config/tenants';
import { badQuery, continuationTokenQuery, failedOnToken, parseListQuery, sinceQuery, topQuery } from '../listing/listingQuery';
import type { JobIndex } from '../storage/jobIndex';
import { jobStatuses } from '../jobs/job';
import { metadataValueSchema, userIdSchema } from '../jobs/jobRequest';

/**
 * GET /api/jobs: the caller's own jobs from the listing index (storage/jobIndex.ts), newest first, filtered
 * and paged. The query and the answer are schemas, so the OpenAPI document describes exactly what is checked.
 * Items are summaries from the index (no image links: read the job for those); their status may lag the job
 * by a moment.
 */

/**
 * A metadata filter: checked and normalised as the stored value was (jobRequest.ts), so a full-width or
 * decomposed spelling finds the job, and control characters are refused rather than sent to the table.
 * The value then goes into the filter through the odata tag, quoted (storage/newestFirst.ts).
 */
const metadataValue = (name: string) =>
  z.string().min(1, `${name} must not be empty`).pipe(metadataValueSchema(name)).meta({ description: `metadata.${name} of the job, exactly (compared after the same Unicode normalisation as when it was stored).` });


export const listJobsQuerySchema = z.strictObject({
  user: userIdSchema.optional().meta({ description: 'Only this student\'s jobs (the request\'s user).' }),
  classId: metadataValue('classId').optional(),
  assignmentId: metadataValue('assignmentId').optional(),
  status: z.enum(jobStatuses, { error: `status must be one of ${jobStatuses.join(', ')}` }).optional(),
  since: sinceQuery('Only jobs created at or after this time (ISO 8601).'),
  top: topQuery(100, 'Most jobs on one page (1-100, default 25). A filtered page may hold fewer, and still have a nextLink.'),
  continuationToken: continuationTokenQuery(),
});

export type ListJobsQuery = z.infer<typeof listJobsQuerySchema>;

export const jobSummarySchema = z
  .object({
    id: z.string(),
    status: z.enum(jobStatuses).meta({ description: 'From the listing index: may lag the job\'s own status by a moment; read the job for the truth.' }),
    createdDateTime: z.string(),
    user: z.string().optional(),
    classId: z.string().optional(),
    assignmentId: z.string().optional(),
    url: z.string().meta({ description: 'The job (GET it for status, image links and its status URL).' }),
  })
  .meta({ id: 'JobSummary' });

export const jobListSchema = z
  .object({
    value: z.array(jobSummarySchema),
    nextLink: z.string().optional().meta({ description: 'The next page; absent on the last page.' }),
  })
  .meta({ id: 'JobList' });

export type JobList = z.infer<typeof jobListSchema>;

const defaultTop = 25;

export function parseListJobsQuery(query: Record<string, string>): ListJobsQuery {
  return parseListQuery(listJobsQuerySchema, query);
}

/** One page of the tenant's jobs. `collectionUrl` is this route's absolute URL, from which item URLs and nextLink are made. */
export async function listJobs(services: { readonly jobIndex: Pick<JobIndex, 'list'>; ensureStorage(): Promise<void> }, tenant: Tenant, query: ListJobsQuery, collectionUrl: string): Promise<JobList> {
  await services.ensureStorage();
  const { top = defaultTop, continuationToken, since, ...filter } = query;
  let page;
  try {
    page = await services.jobIndex.list(tenant.id, { ...filter, ...(since ? { since: new Date(since) } : {}) }, { top, ...(continuationToken ? { continuationToken } : {}) });
  } catch (error) {
    // A token that was edited or comes from elsewhere makes the SDK throw before any request.
    if (continuationToken && failedOnToken(error)) badQuery('continuationToken', 'continuationToken is not one this service gave out.');
    throw error;
  }
  const value = page.entries.map((entry) => ({ ...entry, url: `${collectionUrl}/${entry.id}` }));
  if (!page.continuationToken) return { value };
  const next = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...query, top, continuationToken: page.continuationToken })) {
    if (value !== undefined) next.set(name, String(value));
  }
  return { value, nextLink: `${collectionUrl}?${next.toString()}` };
}
