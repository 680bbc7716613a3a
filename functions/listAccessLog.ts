import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { listAccessLog, parseListAccessLogQuery } from '../shared/privacy/accessLog';
import { getServices, type Services } from './lib/services';
import { apiUrl, json, respond } from './lib/http';

/** GET /api/access-log?since=&keyLabel=&action=&top=&continuationToken=: who read the school's children's data, newest first. */
export function listAccessLogHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const query = parseListAccessLogQuery(Object.fromEntries(request.query.entries()));
    return json(200, await listAccessLog(services, tenant, query, apiUrl(request, 'access-log', services.config)));
  });
}

app.http('listAccessLog', { route: 'access-log', methods: ['GET'], authLevel: 'anonymous', handler: listAccessLogHandler(getServices()) });
