import { app, type HttpHandler } from '@azure/functions';
import { renderJob } from '../shared/views/jobView';
import { parseListQuery } from '../shared/listing/listingQuery';
import { listSessionJobs, sessionFromAuthorization, sessionJobsQuerySchema } from '../shared/sessions/sessions';
import { getServices, type Services } from './lib/services';
import { apiUrl, json, respond } from './lib/http';

/**
 * GET /api/sessions/current/jobs?top=&continuationToken=: the jobs this studio session made, newest first, as
 * the job view shows them (the page's gallery), in pages with a nextLink. A read costs the session's read
 * budget one, and one more for each job the page renders, taken before those jobs are read.
 */
export function listSessionJobsHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const { session } = sessionFromAuthorization(services, request.headers.get('authorization'));
    const query = parseListQuery(sessionJobsQuerySchema, Object.fromEntries(request.query.entries()));
    services.sessionReads.take(session.id);
    // Each job the page reads and renders costs one more, taken before its record is read.
    const page = await listSessionJobs(services, session, query, (found) => services.sessionReads.take(session.id, found));
    const caller = { kind: 'session', session } as const;
    const value = await Promise.all(page.jobs.map((job) => renderJob(services, job, { caller, jobUrl: apiUrl(request, `jobs/${job.id}`, services.config) })));
    if (!page.continuationToken) return json(200, { value });
    const next = new URLSearchParams({ ...(query.top !== undefined ? { top: String(query.top) } : {}), continuationToken: page.continuationToken });
    return json(200, { value, nextLink: apiUrl(request, `sessions/current/jobs?${next.toString()}`, services.config) });
  });
}

app.http('listSessionJobs', { route: 'sessions/current/jobs', methods: ['GET'], authLevel: 'anonymous', handler: listSessionJobsHandler(getServices()) });
