import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { findJob, requireTenant } from '../shared/access/callers';
import { deleteJob } from '../shared/jobs/submission';
import { getServices } from '../shared/services';
import { respond } from './lib/http';

const services = getServices();

/** DELETE /api/jobs/{id}: the owning tenant erases a job and its images at once (right to erasure). */
app.http('deleteJob', {
  route: 'jobs/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: (request: HttpRequest, context: InvocationContext) =>
    respond(context, async () => {
      const tenant = requireTenant(services, request.headers.get('api-key'));
      const job = await findJob(services, request.params['id'] ?? '', { kind: 'tenant', tenant });
      await deleteJob(services, job, context);
      return { status: 204 };
    }),
});
