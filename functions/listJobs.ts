import { app, type HttpHandler } from '@azure/functions';
import { requireTenantKey } from '../shared/access/callers';
import { withAccessRecord } from '../shared/privacy/accessLog';
import { listJobs, parseListJobsQuery } from '../shared/views/jobListing';
import { getServices, type Services } from './lib/services';
import { accessEntryFor } from './lib/access';
import { json, jobUrl, respond } from './lib/http';

/** GET /api/jobs?user=&classId=&assignmentId=&status=&since=&top=&continuationToken=: the caller's jobs, newest first. */
export function listJobsHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const { tenant, keyLabel } = requireTenantKey(services, request.headers.get('api-key'));
    const query = parseListJobsQuery(Object.fromEntries(request.query.entries()));
    // The collection's own URL, built as the job URLs are (never from a Host the service does not serve).
    const collectionUrl = jobUrl(request, '', services.config).replace(/\/$/, '');
    // Recorded beside the read, never failing it (shared/privacy/accessLog.ts).
    return withAccessRecord(services, accessEntryFor(request, tenant.id, keyLabel, 'listJobs', (user) => services.pseudonyms.studentKey(tenant.id, user)), context, async () => json(200, await listJobs(services, tenant, query, collectionUrl)));
  });
}

app.http('listJobs', { route: 'jobs', methods: ['GET'], authLevel: 'anonymous', handler: listJobsHandler(getServices()) });
