import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { findJob, requireTenant } from '../shared/access/callers';
import { cancelJob } from '../shared/jobs/submission';
import { renderJob } from '../shared/jobs/jobView';
import { getServices } from '../shared/services';
import { json, jobUrl, respond } from './lib/http';

const services = getServices();

/** POST /api/jobs/{id}:cancel (Azure REST guidelines' action form): cancels a job that has not finished. */
app.http('cancelJob', {
  route: 'jobs/{id}:cancel',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request: HttpRequest, context: InvocationContext) =>
    respond(context, async () => {
      const tenant = requireTenant(services, request.headers.get('api-key'));
      const caller = { kind: 'tenant', tenant } as const;
      const job = await cancelJob(services, await findJob(services, request.params['id'] ?? '', caller), context);
      return json(200, await renderJob(services, job, { caller, jobUrl: jobUrl(request, job.id, services.config.publicBaseUrl) }));
    }),
});
