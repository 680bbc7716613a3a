import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { submitJob } from '../shared/jobSubmission';
import { renderJob } from '../shared/jobView';
import { getServices } from '../shared/services';
import { json, jobStatusUrl, readJsonBody, respond } from './lib/http';

const services = getServices();

/** POST /api/jobs: accepts a job and answers 202 with Operation-Location (Azure long-running operation). */
app.http('submitJob', {
  route: 'jobs',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request: HttpRequest, context: InvocationContext) =>
    respond(context, async () => {
      const job = await submitJob(services, await readJsonBody(request), context);
      const statusUrl = jobStatusUrl(request, job.id, services.config.publicBaseUrl);
      return json(202, await renderJob(services, job), {
        'Operation-Location': statusUrl,
        'Retry-After': String(services.config.statusRetryAfterInSeconds),
      });
    }),
});
