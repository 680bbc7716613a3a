import { listAccessLogQuerySchema } from '../privacy/accessLog';
import { listSafetyEventsQuerySchema } from '../safety/safetyEventListing';
import { errorResponse, jsonResponse, listQueryParameters, retryAfterHeader, unauthorized, unavailable, type Json } from './responses';

/**
 * The routes over children's data the school reads or erases: the safety events, a student's export and
 * erasure (and the erasure's operation), and the access log of those reads.
 */

const studentParameter = { name: 'user', in: 'path', required: true, description: 'The LMS\'s opaque student id, as sent in jobs\' user.', schema: { type: 'string' }, example: 'student-42' };
const exampleOperation = (status: string) => ({
  id: '9a1c2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f',
  kind: 'studentErasure',
  status,
  createdDateTime: '2026-11-25T08:00:00.000Z',
  lastUpdatedDateTime: status === 'NotStarted' ? '2026-11-25T08:00:00.000Z' : '2026-11-25T08:00:03.000Z',
  result: status === 'NotStarted' ? { jobs: 0, safetyEvents: 0, idempotencyRecords: 0, counters: 0, listingEntries: 0 } : { jobs: 12, safetyEvents: 2, idempotencyRecords: 3, counters: 4, listingEntries: 0 },
});

export function privacyPaths(): Json {
  return {
    '/safety-events': {
      get: {
        operationId: 'listSafetyEvents',
        summary: 'The school\'s refused prompts, for its teachers, newest first',
        description:
          'Every refusal by any layer (screen, classifier, the provider\'s prompt or output filter), with the student, class, assignment, categories and the prompt. ' +
          'Children\'s data: only this school\'s api-key reads it, and it is kept RETENTION_DAYS (a job\'s events go when the job is deleted). Paged as GET /jobs: follow nextLink. ' +
          'A school with a webhook.url also receives each one as a `safety.refused` webhook (schema SafetyWebhookEvent), signed and retried as the job webhooks are, with webhook-id msg_<event id without dashes>_safety_refused. ' +
          'An urgent event (a self-harm signal in the first person; `?urgent=true` lists only these) is also sent at once as `safety.urgent`, before its safety.refused.',
        parameters: listQueryParameters(listSafetyEventsQuerySchema),
        responses: {
          '200': jsonResponse('A page of safety events.', 'SafetyEventList', {
            value: [{ id: '7c1e2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f', createdDateTime: '2026-11-25T08:00:00.000Z', layer: 'classifier', categories: ['violence'], prompt: '(what the student wrote)', user: 'student-42', classId: '4B', assignmentId: 'monuments', repeated: false }],
          }),
          '400': errorResponse('A query parameter is not valid; target names it.', ['InvalidField', 'InvalidHost']),
          '401': unauthorized,
          '503': unavailable,
        },
      },
    },
    '/students/{user}': {
      parameters: [studentParameter],
      delete: {
        operationId: 'eraseStudent',
        summary: 'Erase everything kept about one of the school\'s students (right to erasure)',
        description:
          'A long-running operation: 202 with Operation-Location (GET /operations/{id}) and Retry-After. It erases, for this school only, the student\'s jobs created up to this request ' +
          '(records with their webhook logs, pictures, thumbnails, previews, uploads, listing entries), their safety events (refusals at submit included), their quota counters, ' +
          'and empties the Idempotency-Key records of those jobs to a tombstone (a retried submit with such a key answers 410 JobErased). A job the student submits later is a new job. ' +
          'It completes even if a host dies in the middle (a queue message per operation; every step is safe to repeat), and sending the DELETE again is harmless. ' +
          'A student the school never had gets the same answer, and the operation simply finds nothing; another school\'s student of the same id is untouched. ' +
          'The school\'s api-key only (a studio session token is 401). Recorded in the access log.',
        responses: {
          '202': jsonResponse('Accepted: the operation, NotStarted.', 'Operation', exampleOperation('NotStarted'), {
            'Operation-Location': { description: 'The operation\'s URL (GET /operations/{id}).', schema: { type: 'string', format: 'uri' } },
            'Retry-After': retryAfterHeader,
          }),
          '400': errorResponse('user is not a valid student id (it must never be an e-mail address or a phone number); target is user.', ['InvalidField', 'InvalidHost']),
          '401': unauthorized,
          '503': unavailable,
        },
      },
    },
    '/students/{user}/export': {
      parameters: [studentParameter],
      get: {
        operationId: 'exportStudent',
        summary: 'Everything kept about one of the school\'s students, as JSON (right of access)',
        description:
          'The student\'s jobs as GET /jobs/{id} shows them to the school (prompt, metadata, times, outcome, usage, webhook log; read-only picture links that expire after SAS_EXPIRY_MINUTES), ' +
          'their safety events as GET /safety-events lists them, their quota use today and the school\'s retention. Synchronous and paged (25 jobs, then 100 events a page): follow nextLink until it is absent. ' +
          'No copy of the export is stored. Recorded in the access log.',
        parameters: [{ name: 'continuationToken', in: 'query', required: false, description: 'From the previous page\'s nextLink: opaque.', schema: { type: 'string' } }],
        responses: {
          '200': jsonResponse('A page of the export.', 'StudentExport'),
          '400': errorResponse('user is not a valid student id, or a query parameter is not valid; target names it.', ['InvalidField', 'InvalidHost']),
          '401': unauthorized,
          '503': unavailable,
        },
      },
    },
    '/operations/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
      get: {
        operationId: 'getOperation',
        summary: 'A long-running operation\'s status (a student\'s erasure)',
        description: 'Retry-After while it is NotStarted or Running. Another school\'s operation is 404, as one that does not exist. The operation never names the student.',
        responses: {
          '200': jsonResponse('The operation.', 'Operation', exampleOperation('Succeeded'), { 'Retry-After': retryAfterHeader }),
          '401': unauthorized,
          '404': errorResponse('No such operation, or another school\'s.', ['NotFound']),
          '503': unavailable,
        },
      },
    },
    '/access-log': {
      get: {
        operationId: 'listAccessLog',
        summary: 'Who read the school\'s children\'s data through the API, newest first',
        description:
          'One entry per read with a school key: the job listing, a job, the safety events, a student\'s export or erasure. Each names the key by its label (TENANTS apiKeys; key-1 and key-2 for apiKeyHashes), never the key, ' +
          'and the route and query asked for, never a prompt. Kept ACCESS_LOG_RETENTION_DAYS. Paged as GET /jobs: follow nextLink.',
        parameters: listQueryParameters(listAccessLogQuerySchema),
        responses: {
          '200': jsonResponse('A page of the access log.', 'AccessLogList', {
            value: [{ id: '3e1c2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f', dateTime: '2026-11-25T08:00:00.000Z', keyLabel: 'lms', action: 'listJobs', method: 'GET', path: '/api/jobs', query: 'user=student-42' }],
          }),
          '400': errorResponse('A query parameter is not valid; target names it.', ['InvalidField', 'InvalidHost']),
          '401': unauthorized,
          '503': unavailable,
        },
      },
    },
  };
}
