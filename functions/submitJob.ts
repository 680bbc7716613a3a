import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { parseIdempotencyKey } from '../shared/access/idempotency';
import { submitJob } from '../shared/jobs/submission';
import { renderJob } from '../shared/jobs/jobView';
import { getServices } from '../shared/services';
import { json, jobUrl, readJsonBody, respond } from './lib/http';

const services = getServices();

/**
 * POST /api/jobs: accepts a job and answers 202 with Operation-Location (Azure long-running operation).
 * With an Idempotency-Key header a retried POST answers with the same job.
 */
app.http('submitJob', {
  route: 'jobs',
  methods: ['POST'],
  authLevel: 'anonymous', // authentication is the tenant's api-key header, checked in shared/access.ts
  handler: (request: HttpRequest, context: InvocationContext) =>
    respond(context, async () => {
      const tenant = requireTenant(services, request.headers.get('api-key'));
      const idempotencyKey = parseIdempotencyKey(request.headers.get('idempotency-key'));
      const job = await submitJob(services, tenant, {
        readBody: () => readJsonBody(request),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        log: context,
      });
      const location = jobUrl(request, job.id, services.config.publicBaseUrl);
      return json(202, await renderJob(services, job, { caller: { kind: 'tenant', tenant }, jobUrl: location }), {
        'Operation-Location': location,
        'Retry-After': String(services.config.statusRetryAfterInSeconds),
      });
    }),
});
