import { app, type HttpHandler } from '@azure/functions';
import { requireTenantKey } from '../shared/access/callers';
import { withAccessRecord } from '../shared/privacy/accessLog';
import { listSafetyEvents, parseListSafetyEventsQuery } from '../shared/safety/safetyEventListing';
import { getServices, type Services } from './lib/services';
import { accessEntryFor } from './lib/access';
import { json, jobUrl, respond } from './lib/http';

/** GET /api/safety-events?user=&classId=&assignmentId=&layer=&since=&top=&continuationToken=: the school's refused prompts, newest first. */
export function listSafetyEventsHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const { tenant, keyLabel } = requireTenantKey(services, request.headers.get('api-key'));
    const query = parseListSafetyEventsQuery(Object.fromEntries(request.query.entries()));
    // Built as the job URLs are (never from a Host the service does not serve): the jobs collection's base, then this route.
    const collection = new URL(jobUrl(request, '', services.config));
    collection.pathname = collection.pathname.replace(/(\/safety-events)?\/jobs\/$/, '/safety-events');
    return withAccessRecord(services, accessEntryFor(request, tenant.id, keyLabel, 'listSafetyEvents', (user) => services.pseudonyms.studentKey(tenant.id, user)), context, async () => json(200, await listSafetyEvents(services, tenant, query, collection.toString())));
  });
}

app.http('listSafetyEvents', { route: 'safety-events', methods: ['GET'], authLevel: 'anonymous', handler: listSafetyEventsHandler(getServices()) });
