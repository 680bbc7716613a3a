import { z } from 'zod';
import type { Tenant } from '../config/tenants';
import { badQuery, failedOnToken, parseListQuery } from '../listing/listingQuery';
import { listJobsQuerySchema } from '../views/jobListing';
import { repeatedAfter, repeatedWindowInMs, safetyLayers, type SafetyEvent, type SafetyEventStore } from '../storage/safetyEventStore';

/**
 * GET /api/safety-events: the school's refused prompts, for its teachers, newest first, filtered and paged
 * as GET /api/jobs is (same parameters and nextLink). The tenant's API key only: a status token (a
 * student's browser) never reaches this. The student is told only that the prompt was refused; this is
 * where the detail is.
 */

export const listSafetyEventsQuerySchema = listJobsQuerySchema.omit({ status: true }).extend({
  layer: z.enum(safetyLayers, { error: `layer must be one of ${safetyLayers.join(', ')}` }).optional().meta({ description: 'Only refusals by this layer.' }),
  urgent: z
    .literal('true', { error: 'urgent can only be true (leave it out for every event)' })
    .transform((): true => true)
    .optional()
    .meta({ description: 'true: only urgent events (a self-harm signal in the first person), the ones a teacher must see today.' }),
});

export type ListSafetyEventsQuery = z.infer<typeof listSafetyEventsQuerySchema>;

export const safetyEventSchema = z
  .object({
    id: z.string(),
    createdDateTime: z.string(),
    layer: z.enum(safetyLayers).meta({
      description:
        'Which layer refused: screen (word list), safeguarding (the self-harm signal lexicon), classifier (Azure AI Content Safety, on the prompt), providerPrompt or providerOutput (the image provider\'s own filter on the prompt or on the picture), outputCheck (Azure AI Content Safety, on the finished picture).',
    }),
    categories: z.array(z.string()).meta({
      description: 'hate, sexual, violence, selfHarm, promptAttack (classifier; the provider\'s own names for its filter), blockedTerms (screen), or selfHarm (safeguarding).',
    }),
    prompt: z.string().meta({ description: 'What the student wrote. Children\'s data: kept RETENTION_DAYS, for this school only.' }),
    user: z.string().optional(),
    classId: z.string().optional(),
    assignmentId: z.string().optional(),
    jobId: z.string().optional().meta({ description: 'The job the provider refused; absent for refusals at submit, which make no job.' }),
    repeated: z.boolean().meta({
      description: `True when this student had ${repeatedAfter} or more refusals (this one included) within ${repeatedWindowInMs / 60_000} minutes.`,
    }),
    urgent: z.boolean().meta({
      description:
        'True for a self-harm signal in the first person ("me with cuts on my wrists"): a teacher or the school\'s care coordinator must see it today. A school with a webhook.url got a safety.urgent webhook at once.',
    }),
  })
  .meta({ id: 'SafetyEvent' });

export const safetyEventListSchema = z
  .object({
    value: z.array(safetyEventSchema),
    nextLink: z.string().optional().meta({ description: 'The next page; absent on the last page.' }),
  })
  .meta({ id: 'SafetyEventList' });

export type SafetyEventList = z.infer<typeof safetyEventListSchema>;

const defaultTop = 25;

/** A stored event as the school sees it (the listing, a webhook, a student's export): without its partition. */
export function renderSafetyEvent({ tenantId: _tenantId, ...event }: SafetyEvent): z.infer<typeof safetyEventSchema> {
  return { ...event, categories: [...event.categories] };
}

export function parseListSafetyEventsQuery(query: Record<string, string>): ListSafetyEventsQuery {
  return parseListQuery(listSafetyEventsQuerySchema, query);
}

export async function listSafetyEvents(
  services: { readonly safetyEvents: Pick<SafetyEventStore, 'list'>; ensureStorage(): Promise<void> },
  tenant: Tenant,
  query: ListSafetyEventsQuery,
  collectionUrl: string,
): Promise<SafetyEventList> {
  await services.ensureStorage();
  const { top = defaultTop, continuationToken, since, ...filter } = query;
  let page;
  try {
    page = await services.safetyEvents.list(tenant.id, { ...filter, ...(since ? { since: new Date(since) } : {}) }, { top, ...(continuationToken ? { continuationToken } : {}) });
  } catch (error) {
    if (continuationToken && failedOnToken(error)) badQuery('continuationToken', 'continuationToken is not one this service gave out.');
    throw error;
  }
  const value = page.events.map(renderSafetyEvent);
  if (!page.continuationToken) return { value };
  const next = new URLSearchParams();
  for (const [name, item] of Object.entries({ ...query, top, continuationToken: page.continuationToken })) {
    if (item !== undefined) next.set(name, String(item));
  }
  return { value, nextLink: `${collectionUrl}?${next.toString()}` };
}
