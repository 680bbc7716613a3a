import { app, type HttpHandler } from '@azure/functions';
import { findJob, requireTenant } from '../shared/access/callers';
import { deleteJob } from '../shared/submission/deleteJob';
import { getServices, type Services } from './lib/services';
import { respond } from './lib/http';

/** DELETE /api/jobs/{id}: the owning tenant erases a job and its images at once (right to erasure). */
export function deleteJobHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const job = await findJob(services, request.params['id'] ?? '', { kind: 'tenant', tenant });
    await deleteJob(services, job, context);
    return { status: 204 };
  });
}

app.http('deleteJob', { route: 'jobs/{id}', methods: ['DELETE'], authLevel: 'anonymous', handler: deleteJobHandler(getServices()) });
