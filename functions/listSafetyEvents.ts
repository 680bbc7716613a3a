import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { listSafetyEvents, parseListSafetyEventsQuery } from '../shared/safety/safetyEventListing';
import { getServices, type Services } from '../shared/services';
import { json, jobUrl, respond } from './lib/http';

/** GET /api/safety-events?user=&classId=&assignmentId=&layer=&since=&top=&continuationToken=: the school's refused prompts, newest first. */
export function listSafetyEventsHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const query = parseListSafetyEventsQuery(Object.fromEntries(request.query.entries()));
    // Built as the job URLs are (never from a Host the service does not serve): the jobs collection's base, then this route.
    const collection = new URL(jobUrl(request, '', services.config));
    collection.pathname = collection.pathname.replace(/(\/safety-events)?\/jobs\/$/, '/safety-events');
    return json(200, await listSafetyEvents(services, tenant, query, collection.toString()));
  });
}

app.http('listSafetyEvents', { route: 'safety-events', methods: ['GET'], authLevel: 'anonymous', handler: listSafetyEventsHandler(getServices()) });
