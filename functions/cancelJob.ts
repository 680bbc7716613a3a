import { app, type HttpHandler } from '@azure/functions';
import { findJob, requireTenant } from '../shared/access/callers';
import { renderJob } from '../shared/views/jobView';
import { cancelJob } from '../shared/submission/cancelJob';
import { getServices, type Services } from './lib/services';
import { json, jobUrl, respond } from './lib/http';

/** POST /api/jobs/{id}:cancel (Azure REST guidelines' action form): cancels a job that has not finished. */
export function cancelJobHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const caller = { kind: 'tenant', tenant } as const;
    const job = await cancelJob(services, tenant, await findJob(services, request.params['id'] ?? '', caller), context);
    return json(200, await renderJob(services, job, { caller, jobUrl: jobUrl(request, job.id, services.config) }));
  });
}

app.http('cancelJob', { route: 'jobs/{id}:cancel', methods: ['POST'], authLevel: 'anonymous', handler: cancelJobHandler(getServices()) });
