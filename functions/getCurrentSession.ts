import { app, type HttpHandler } from '@azure/functions';
import { sessionFromAuthorization, sessionInfo } from '../shared/sessions/sessions';
import { getServices, type Services } from './lib/services';
import { json, respond } from './lib/http';

/** GET /api/sessions/current: what the studio page needs to know about its session (language, limits, placeholders). */
export function getCurrentSessionHandler(services: Pick<Services, 'config' | 'sessionTokens' | 'sessionReads' | 'promptMaxChars'>): HttpHandler {
  return respond((request) => {
    const { session, tenant } = sessionFromAuthorization(services, request.headers.get('authorization'));
    services.sessionReads.take(session.id);
    return json(200, sessionInfo(services, session, tenant));
  });
}

app.http('getCurrentSession', { route: 'sessions/current', methods: ['GET'], authLevel: 'anonymous', handler: getCurrentSessionHandler(getServices()) });
