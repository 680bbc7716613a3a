import { app, type HttpHandler } from '@azure/functions';
import { callerForJob, findJob } from '../shared/access/callers';
import { previewsComing, renderJob, retryAfterSeconds } from '../shared/views/jobView';
import { getServices, type Services } from './lib/services';
import { withAccessRecord } from '../shared/privacy/accessLog';
import { accessEntryFor } from './lib/access';
import { json, jobUrl, respond } from './lib/http';

/**
 * GET /api/jobs/{id}: the job's status, image links once it succeeded (previews while it runs), Retry-After while it runs.
 * The LMS calls it with its api-key; a student's browser with the job's status token (?token=); the
 * studio page with its session token (Authorization: Bearer), for the jobs of its session only.
 */
export function getJobHandler(services: Services): HttpHandler {
  return respond(
    async (request, context) => {
      const id = request.params['id'] ?? '';
      const caller = callerForJob(services, id, request.headers.get('api-key'), request.query.get('token'), request.headers.get('authorization'));
      if (caller.kind === 'session') services.sessionReads.take(caller.session.id);
      const read = async () => {
        const job = await findJob(services, id, caller);
        const body = await renderJob(services, job, { caller, jobUrl: jobUrl(request, job.id, services.config) });
        const retryAfter = retryAfterSeconds(body, services.config.statusRetryAfterInSeconds, new Date(), { previewsComing: previewsComing(services, job) });
        return json(200, body, retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {});
      };
      // The school's reads with its key are recorded (a status URL or a session is the student reading their own).
      if (caller.kind !== 'tenant') return read();
      return withAccessRecord(services, accessEntryFor(request, caller.tenant.id, caller.keyLabel ?? 'unknown', 'getJob', (user) => services.pseudonyms.studentKey(caller.tenant.id, user)), context, read);
    },
    { corsAllowedOrigins: services.config.corsAllowedOrigins },
  );
}

app.http('getJob', { route: 'jobs/{id}', methods: ['GET'], authLevel: 'anonymous', handler: getJobHandler(getServices()) });
