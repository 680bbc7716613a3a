import { listJobsQuerySchema } from '../views/jobListing';
import { exampleJob, exampleJobId } from './exampleJob';
import { errorResponse, jsonResponse, listQueryParameters, ref, retryAfterHeader, unauthorized, unavailable, type Json } from './responses';

/** The jobs' routes: submit, list, read, delete and cancel. */

const notFound = errorResponse('No such job, or another tenant\'s job (the same answer, so ids cannot be probed).', ['NotFound']);
const submitUnavailable = errorResponse(
  'Storage, or the content safety check, is not available right now; nothing was stored or spent. Retry after Retry-After (SafetyCheckUnavailable: the prompt could not be checked, so it was not sent on).',
  ['ServiceUnavailable', 'SafetyCheckUnavailable'],
  { 'Retry-After': retryAfterHeader },
);
const invalidHost = errorResponse('A malformed Host header, or a host this service does not serve.', ['InvalidHost']);
const jobIdParameter = { $ref: '#/components/parameters/JobId' };

/** `modelSummary`: the configured model's size rule and limits, which the request schema cannot say in JSON Schema. */
export function jobPaths(modelSummary: string): Json {
  return {
    '/jobs': {
      post: {
        operationId: 'submitJob',
        summary: 'Submit an image job',
        description:
          `The body is checked against the configured model. ${modelSummary} A prompt refused by the word screen or the content safety classifier (400 PromptBlocked, a kind message for the student; the detail is a safety event for the teachers) is refused before anything is stored or spent. ` +
          'A self-harm or suicide signal is PromptBlocked with innererror.code SelfHarmSignal: show the student a caring message with the help lines (the error message names them), not a rule; the school gets a safety event, and a safety.urgent webhook when the student writes about themselves. ' +
          'A studio page submits with its session token instead of the api-key: user and metadata are the session\'s (a body naming others is 403 SessionFieldFixed), ' +
          'the student\'s quota applies, and it may ask only for what the studio offers: prompt, orientation and n (size, quality, aspectRatio, outputFormat, callbackUrl, edits and any other field are 403 NotAllowedInSession, naming the field); the answer leaves out statusUrl, user and metadata. ' +
          'Submit rates: a submit for a student (a session\'s, or one with user) counts against that student\'s submitsPerUserPerMinute, accepted or not; it takes one of the school\'s submitsPerMinute only once the prompt screen passed, and gives it back if it makes no job. ' +
          'A school may also set money budgets (usdPerUserPerDay, usdPerDay, usdPerMonth): a job\'s estimated cost is reserved at submit, and a job that would pass one is 429 QuotaExceeded.',
        security: [{ apiKey: [] }, { sessionToken: [] }],
        parameters: [{ $ref: '#/components/parameters/Idempotency-Key' }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('JobRequest'),
              example: { prompt: 'A dog beside the Eiffel Tower in morning light', n: 2, aspectRatio: '16:9', user: 'student-42', metadata: { classId: '4B', assignmentId: 'monuments' } },
            },
          },
        },
        responses: {
          '202': jsonResponse('Accepted: the job, with a statusUrl for the student\'s browser.', 'Job', { ...exampleJob, status: 'NotStarted', result: undefined, usage: undefined, webhooks: undefined }, {
            'Operation-Location': { $ref: '#/components/headers/Operation-Location' },
            'Retry-After': retryAfterHeader,
          }),
          '400': errorResponse('The body or a header is not valid; target names the field.', ['InvalidJson', 'InvalidRequest', 'MissingField', 'InvalidField', 'UnknownField', 'PromptTooLong', 'PromptBlocked', 'InvalidHeader', 'InvalidHost', 'WebhooksNotConfigured', 'UnsupportedKind', 'ImageNotFound', 'UploadNotFound', 'UploadExpired', 'UploadTooLarge', 'UploadAlreadyUsed', 'EditInputTooLarge']),
          '401': errorResponse('No valid api-key, or an invalid or expired session token.', ['Unauthorized', 'SessionInvalid', 'SessionExpired'], { 'WWW-Authenticate': { schema: { type: 'string' } } }),
          '403': errorResponse('A studio session sent a field it may not set, or asked for something the studio does not offer; target names the field and the message says what is allowed.', ['SessionFieldFixed', 'NotAllowedInSession']),
          '409': errorResponse('The Idempotency-Key was used with a different request.', ['IdempotencyKeyReused']),
          '410': errorResponse('The Idempotency-Key\'s job was deleted; send a new key.', ['JobErased']),
          '413': errorResponse('The body is over 16 KiB.', ['PayloadTooLarge']),
          '415': errorResponse('Not application/json in UTF-8.', ['UnsupportedMediaType']),
          '429': errorResponse(
            'Over an image quota or a money budget (QuotaExceeded), the student\'s or the school\'s submit rate (RateLimited), or the service is busy (ServiceBusy); nothing was stored or spent.',
            ['QuotaExceeded', 'RateLimited', 'ServiceBusy'],
            { 'Retry-After': retryAfterHeader },
          ),
          '503': submitUnavailable,
        },
      },
      get: {
        operationId: 'listJobs',
        summary: 'List the school\'s jobs, newest first',
        description: 'From a listing index beside the jobs: a job\'s status there may lag its own by a moment. Follow nextLink until it is absent; a filtered page may be short, even empty, and still have a nextLink.',
        parameters: listQueryParameters(listJobsQuerySchema),
        responses: {
          '200': jsonResponse('A page of jobs.', 'JobList', {
            value: [{ id: exampleJobId, status: 'Succeeded', createdDateTime: '2026-11-25T08:00:00.000Z', user: 'student-42', classId: '4B', assignmentId: 'monuments', url: `https://edu4all.example/api/jobs/${exampleJobId}` }],
            nextLink: 'https://edu4all.example/api/jobs?classId=4B&top=25&continuationToken=eyJ…',
          }),
          '400': errorResponse('A query parameter is not valid; target names it.', ['InvalidField', 'InvalidHost']),
          '401': unauthorized,
          '503': unavailable,
        },
      },
    },
    '/jobs/{id}': {
      parameters: [jobIdParameter],
      get: {
        operationId: 'getJob',
        summary: 'A job\'s status, and its image links once it succeeded',
        description:
          'With the api-key, or without it through a statusUrl (?token=…) or a studio session token (only the jobs that session made), which leave out user, metadata, callbackUrl, usage and webhooks. Each read gives fresh image links.',
        security: [{ apiKey: [] }, { statusToken: [] }, { sessionToken: [] }],
        responses: {
          '200': jsonResponse('The job. While it has not finished, Retry-After says when to ask again (1 s while live previews are coming; see previews).', 'Job', exampleJob, { 'Retry-After': retryAfterHeader }),
          '400': invalidHost,
          '401': errorResponse('No valid api-key, status token or session token, or an expired status URL or session.', ['Unauthorized', 'StatusUrlExpired', 'SessionInvalid', 'SessionExpired']),
          '404': notFound,
          '429': errorResponse('A studio session that reads too often (more than polling once a second); wait for Retry-After.', ['RateLimited'], { 'Retry-After': retryAfterHeader }),
          '503': unavailable,
        },
      },
      delete: {
        operationId: 'deleteJob',
        summary: 'Erase a job and its images at once',
        responses: { '204': { description: 'Erased (also from the listing).' }, '401': unauthorized, '404': notFound, '503': unavailable },
      },
    },
    '/jobs/{id}:cancel': {
      parameters: [jobIdParameter],
      post: {
        operationId: 'cancelJob',
        summary: 'Cancel a job that has not finished',
        responses: {
          '200': jsonResponse('The job, now Canceled.', 'Job', { ...exampleJob, status: 'Canceled', result: undefined, usage: undefined, error: { code: 'Canceled', message: 'The job was canceled.' } }),
          '400': invalidHost,
          '401': unauthorized,
          '404': notFound,
          '409': errorResponse('The job already Succeeded or Failed.', ['NotCancelable']),
          '503': unavailable,
        },
      },
    },
  };
}
