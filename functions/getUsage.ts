import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { BadRequestError } from '../shared/errors';
import { userIdSchema } from '../shared/jobs/jobRequest';
import { getServices, type Services } from './lib/services';
import { json, respond } from './lib/http';

/** GET /api/usage[?user=<student id>]: the tenant's images used and left today and this month, and the estimated spend. */
export function getUsageHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const user = request.query.get('user') ?? undefined;
    const checked = user === undefined ? undefined : userIdSchema.safeParse(user);
    if (checked && !checked.success) throw new BadRequestError('InvalidField', checked.error.issues[0]?.message ?? 'user is not valid', { target: 'user' });
    return json(200, await services.quotas.usage(tenant, user));
  });
}

app.http('getUsage', { route: 'usage', methods: ['GET'], authLevel: 'anonymous', handler: getUsageHandler(getServices()) });
