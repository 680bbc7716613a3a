import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { callerForJob, findJob } from '../shared/access/callers';
import { repairNeverEnqueued } from '../shared/jobs/submission';
import { renderJob, retryAfterSeconds } from '../shared/jobs/jobView';
import { getServices } from '../shared/services';
import { corsHeaders, errorResponse, json, jobUrl } from './lib/http';

const services = getServices();

/**
 * GET /api/jobs/{id}: the job's status, image links once it succeeded, Retry-After while it runs.
 * The LMS calls it with its api-key; a student's browser with the job's status token (?token=).
 */
app.http('getJob', {
  route: 'jobs/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request: HttpRequest, context: InvocationContext) => {
    const cors = corsHeaders(request, services.config.corsAllowedOrigins);
    try {
      const id = request.params['id'] ?? '';
      const caller = callerForJob(services, id, request.headers.get('api-key'), request.query.get('token'));
      const job = await repairNeverEnqueued(services, await findJob(services, id, caller), context);
      const body = await renderJob(services, job, { caller, jobUrl: jobUrl(request, job.id, services.config.publicBaseUrl) });
      const retryAfter = retryAfterSeconds(body, services.config.statusRetryAfterInSeconds);
      return json(200, body, { ...(retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {}), ...cors });
    } catch (error) {
      const response = errorResponse(error, context);
      return { ...response, headers: { ...(response.headers as Record<string, string>), ...cors } };
    }
  },
});
