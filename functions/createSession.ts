import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { createSession, notePresence, parseCreateSessionRequest } from '../shared/sessions/sessions';
import { getServices, type Services } from './lib/services';
import { apiUrl, json, readJsonBody, respond } from './lib/http';

/**
 * POST /api/sessions: the LMS opens a studio session for one student and gets the link to hand to their
 * browser. The token rides in the URL fragment, which browsers never send to a server or in a Referer.
 */
export function createSessionHandler(services: Pick<Services, 'config' | 'sessionTokens' | 'presence' | 'pseudonyms' | 'ensureStorage'>): HttpHandler {
  return respond(async (request, context) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const body = parseCreateSessionRequest(await readJsonBody(request));
    const studio = apiUrl(request, 'studio', services.config);
    const session = createSession(services, tenant, body, (token) => `${studio}#session=${token}`);
    // A mark that failed costs only the forecast in classmates' estimates, not the student's session.
    await notePresence(services, tenant, body.user).catch((error: unknown) => context.warn(`Studio session ${session.id}: the presence mark could not be written: ${String(error)}`));
    // The id only: the token and the student id stay out of the log.
    context.log(`Studio session ${session.id} opened for tenant ${tenant.id}, until ${session.expiresDateTime}.`);
    return json(201, session);
  });
}

app.http('createSession', { route: 'sessions', methods: ['POST'], authLevel: 'anonymous', handler: createSessionHandler(getServices()) });
