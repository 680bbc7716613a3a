import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { RequestError } from '../shared/errors';
import { isJobId, isTerminal } from '../shared/job';
import { renderJob } from '../shared/jobView';
import { getServices } from '../shared/services';
import { json, respond } from './lib/http';

const services = getServices();

/** GET /api/jobs/{id}: the job's status; image links once it succeeded; Retry-After while it runs. */
app.http('getJob', {
  route: 'jobs/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request: HttpRequest, context: InvocationContext) =>
    respond(context, async () => {
      const id = request.params['id'] ?? '';
      const job = isJobId(id) ? await services.jobs.get(id) : undefined;
      if (!job) throw new RequestError(404, 'NotFound', `There is no job with id '${id.slice(0, 64)}'.`, 'id');
      const headers: Record<string, string> = isTerminal(job.status)
        ? {}
        : { 'Retry-After': String(services.config.statusRetryAfterInSeconds) };
      return json(200, await renderJob(services, job), headers);
    }),
});
