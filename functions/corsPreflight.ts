import { app, type HttpHandler } from '@azure/functions';
import { ForbiddenError } from '../shared/errors';
import { getServices, type Services } from './lib/services';
import { respond } from './lib/http';

/**
 * OPTIONS on any route: the CORS preflight. A browser may only read a job's status through its status URL
 * (GET, from an origin in CORS_ALLOWED_ORIGINS); everything else needs the school's API key, which belongs
 * on the LMS server, never in a browser, so other preflights are refused with a reason.
 */
const browserMethods = ['GET'];
const browserHeaders = ['content-type'];

export function corsPreflightHandler(services: Pick<Services, 'config'>): HttpHandler {
  return respond((request) => {
    const origin = request.headers.get('origin');
    if (!origin || !services.config.corsAllowedOrigins.includes(origin)) {
      throw new ForbiddenError('CorsOriginNotAllowed', 'This origin may not call the API from a browser; the service lists allowed origins in CORS_ALLOWED_ORIGINS.', { target: 'Origin' });
    }
    const method = (request.headers.get('access-control-request-method') ?? '').toUpperCase();
    if (!browserMethods.includes(method)) {
      throw new ForbiddenError(
        'CorsMethodNotAllowed',
        `Browsers may only read job status (GET with a status URL). ${method || 'This method'} needs the school's API key, from the LMS server.`,
        { target: 'Access-Control-Request-Method' },
      );
    }
    const asked = (request.headers.get('access-control-request-headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    const refused = asked.filter((header) => !browserHeaders.includes(header));
    if (refused.length > 0) {
      throw new ForbiddenError('CorsHeaderNotAllowed', `Browsers may not send ${refused.join(', ')} (an API key belongs on the LMS server).`, { target: 'Access-Control-Request-Headers' });
    }
    return {
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': browserMethods.join(', '),
        'Access-Control-Allow-Headers': browserHeaders.join(', '),
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      },
    };
  });
}

app.http('corsPreflight', { route: '{*path}', methods: ['OPTIONS'], authLevel: 'anonymous', handler: corsPreflightHandler(getServices()) });
