import { app, output, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { parseIdempotencyKey } from '../shared/access/idempotency';
import { renderJob } from '../shared/views/jobView';
import { submitJob } from '../shared/submission/submission';
import { bearerToken, sessionFromAuthorization, sessionJobBody } from '../shared/sessions/sessions';
import { getServices, type Services } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';
import { json, jobUrl, readJsonBody, respond } from './lib/http';

/**
 * The job's message goes out through the queue output binding, not the SDK: the host sends it before the
 * 202 leaves and then wakes its own listener on `image-jobs` (Azure's shared queue watcher), so an idle
 * worker starts at once instead of after its polling back-off (up to maxPollingInterval).
 */
export const jobQueueOutput = output.storageQueue({ queueName: storageNames.jobQueue, connection: 'AzureWebJobsStorage' });

/**
 * POST /api/jobs: accepts a job and answers 202 with Operation-Location (Azure long-running operation).
 * With an Idempotency-Key header a retried POST answers with the same job. A studio page submits with its
 * session token (Authorization: Bearer) instead of the API key.
 */
export function submitJobHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const apiKey = request.headers.get('api-key');
    // A studio page sends its session token instead (sessions/): its student, its quota, its metadata.
    const session = apiKey === null && bearerToken(request.headers.get('authorization')) !== undefined ? sessionFromAuthorization(services, request.headers.get('authorization')) : undefined;
    const tenant = session?.tenant ?? requireTenant(services, apiKey);
    const idempotencyKey = parseIdempotencyKey(request.headers.get('idempotency-key'));
    const { job, message } = await submitJob(services, tenant, {
      readBody: async () => {
        const body = await readJsonBody(request);
        return session ? sessionJobBody(session.session, body) : body;
      },
      // Kept apart by sessionId: the LMS's keys and each session's are separate (access/idempotency.ts).
      ...(idempotencyKey ? { idempotencyKey } : {}),
      jobUrlFor: (id) => jobUrl(request, id, services.config),
      ...(session ? { sessionId: session.session.id, sessionUser: session.session.user } : {}),
      log: context,
    });
    if (message) context.extraOutputs.set(jobQueueOutput, message);
    const location = jobUrl(request, job.id, services.config);
    const caller = session ? ({ kind: 'session', session: session.session } as const) : ({ kind: 'tenant', tenant } as const);
    return json(202, await renderJob(services, job, { caller, jobUrl: location, messageSent: message === undefined }), {
      'Operation-Location': location,
      'Retry-After': String(services.config.statusRetryAfterInSeconds),
    });
  });
}

app.http('submitJob', {
  route: 'jobs',
  methods: ['POST'],
  authLevel: 'anonymous', // the tenant's api-key header (shared/access/callers.ts) or a studio session token (shared/sessions/)
  extraOutputs: [jobQueueOutput],
  handler: submitJobHandler(getServices()),
});
