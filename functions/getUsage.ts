import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { BadRequestError } from '../shared/errors';
import { userIdPattern } from '../shared/jobs/jobRequest';
import { getServices, type Services } from '../shared/services';
import { json, respond } from './lib/http';

/** GET /api/usage[?user=<student id>]: the tenant's images used and left today and this month, and the estimated spend. */
export function getUsageHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const user = request.query.get('user') ?? undefined;
    if (user !== undefined && !userIdPattern.test(user)) {
      throw new BadRequestError('InvalidField', 'user must be an opaque student id of 1 to 64 letters, digits or . _ : @ -', { target: 'user' });
    }
    return json(200, await services.quotas.usage(tenant, user));
  });
}

app.http('getUsage', { route: 'usage', methods: ['GET'], authLevel: 'anonymous', handler: getUsageHandler(getServices()) });
