import { app, type HttpHandler } from '@azure/functions';
import { renderJob } from '../shared/jobs/jobView';
import { listSessionJobs, sessionFromAuthorization } from '../shared/sessions/sessions';
import { getServices, type Services } from '../shared/services';
import { apiUrl, json, respond } from './lib/http';

/** GET /api/sessions/current/jobs: the jobs this studio session made, newest first, as the job view shows them (the page's gallery). */
export function listSessionJobsHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const { session } = sessionFromAuthorization(services, request.headers.get('authorization'));
    const jobs = await listSessionJobs(services, session);
    const caller = { kind: 'session', session } as const;
    const value = await Promise.all(jobs.map((job) => renderJob(services, job, { caller, jobUrl: apiUrl(request, `jobs/${job.id}`, services.config) })));
    return json(200, { value });
  });
}

app.http('listSessionJobs', { route: 'sessions/current/jobs', methods: ['GET'], authLevel: 'anonymous', handler: listSessionJobsHandler(getServices()) });
