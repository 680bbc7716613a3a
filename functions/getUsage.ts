import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { RequestError } from '../shared/errors';
import { userIdPattern } from '../shared/jobs/jobRequest';
import { getServices } from '../shared/services';
import { json, respond } from './lib/http';

const services = getServices();

/** GET /api/usage[?user=<student id>]: the tenant's images used and left today and this month. */
app.http('getUsage', {
  route: 'usage',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request: HttpRequest, context: InvocationContext) =>
    respond(context, async () => {
      const tenant = requireTenant(services, request.headers.get('api-key'));
      const user = request.query.get('user') ?? undefined;
      if (user !== undefined && !userIdPattern.test(user)) {
        throw new RequestError(400, 'InvalidField', 'user must be an opaque student id of 1 to 64 letters, digits or . _ : @ -', 'user');
      }
      return json(200, await services.quotas.usage(tenant, user));
    }),
});
