import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { parseIdempotencyKey } from '../shared/access/idempotency';
import { renderJob } from '../shared/jobs/jobView';
import { submitJob } from '../shared/jobs/submission';
import { getServices, type Services } from '../shared/services';
import { json, jobUrl, readJsonBody, respond } from './lib/http';

/**
 * POST /api/jobs: accepts a job and answers 202 with Operation-Location (Azure long-running operation).
 * With an Idempotency-Key header a retried POST answers with the same job.
 */
export function submitJobHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const idempotencyKey = parseIdempotencyKey(request.headers.get('idempotency-key'));
    const job = await submitJob(services, tenant, {
      readBody: () => readJsonBody(request),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      jobUrlFor: (id) => jobUrl(request, id, services.config),
      log: context,
    });
    const location = jobUrl(request, job.id, services.config);
    return json(202, await renderJob(services, job, { caller: { kind: 'tenant', tenant }, jobUrl: location }), {
      'Operation-Location': location,
      'Retry-After': String(services.config.statusRetryAfterInSeconds),
    });
  });
}

app.http('submitJob', {
  route: 'jobs',
  methods: ['POST'],
  authLevel: 'anonymous', // authentication is the tenant's api-key header, checked in shared/access/callers.ts
  handler: submitJobHandler(getServices()),
});
