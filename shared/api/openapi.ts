import { z } from 'zod';
import { usageSchema } from '../access/quotas';
import { errorBodySchema } from '../errors';
import { healthResponseSchema } from '../health/health';
import { jobListSchema, jobSummarySchema, listJobsQuerySchema } from '../views/jobListing';
import { sessionJobsQuerySchema } from '../sessions/sessions';
import type { JobRequestParser } from '../jobs/jobRequestParser';
import { imageResourceSchema, jobResourceSchema } from '../views/jobView';
import { createSessionRequestSchema, sessionInfoSchema, sessionResourceSchema } from '../sessions/sessions';
import { uploadResourceSchema } from '../storage/uploadStore';
import { safetyUrgentWebhookEventSchema, safetyWebhookEventSchema, webhookEventSchema } from '../webhooks/events';
import { safetyRefusedEventType, safetyUrgentEventType, webhookEventTypes } from '../webhooks/outbox/eventTypes';
import { listSafetyEventsQuerySchema, safetyEventListSchema, safetyEventSchema } from '../safety/safetyEventListing';
import { accessLogEntrySchema, accessLogListSchema, listAccessLogQuerySchema } from '../privacy/accessLog';
import { operationResourceSchema } from '../privacy/operation';
import { studentExportSchema } from '../privacy/studentExport';

/**
 * The OpenAPI 3.1 document of the API (GET /api/openapi.json), generated from the very zod schemas that
 * check requests (the configured model's request parser, the listing query) and shape answers (the job, the
 * listing, usage, health, errors, webhook events), with z.toJSONSchema. Only what JSON Schema cannot say is
 * written here: routes, headers, status codes and examples. The model's own rules (its sizes, qualities,
 * formats) are in the request schema's refinements, which JSON Schema cannot express; the descriptions say
 * them in words. A test validates the document and checks its paths against the routes the host serves.
 */

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  /** The service's version, shown in info.version. */
  readonly version: string;
  /** Size rule and limits of the configured model, for the request's descriptions. */
  readonly modelSummary: string;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Component schemas from zod: requests in their input form, answers in their output form. */
function componentSchemas(parser: JobRequestParser): Record<string, Json> {
  const requests = z.registry<{ id: string }>();
  requests.add(parser.schema, { id: 'JobRequest' });
  requests.add(createSessionRequestSchema, { id: 'CreateSessionRequest' });
  const answers = z.registry<{ id: string }>();
  for (const [id, schema] of [
    ['Job', jobResourceSchema],
    ['Image', imageResourceSchema],
    ['JobList', jobListSchema],
    ['JobSummary', jobSummarySchema],
    ['Usage', usageSchema],
    ['Upload', uploadResourceSchema],
    ['Health', healthResponseSchema],
    ['Error', errorBodySchema],
    ['WebhookEvent', webhookEventSchema],
    ['Session', sessionResourceSchema],
    ['SessionInfo', sessionInfoSchema],
    ['SafetyEvent', safetyEventSchema],
    ['SafetyEventList', safetyEventListSchema],
    ['SafetyWebhookEvent', safetyWebhookEventSchema],
    ['SafetyUrgentWebhookEvent', safetyUrgentWebhookEventSchema],
    ['Operation', operationResourceSchema],
    ['StudentExport', studentExportSchema],
    ['AccessLogEntry', accessLogEntrySchema],
    ['AccessLogList', accessLogListSchema],
  ] as const) {
    answers.add(schema, { id });
  }
  const uri = (id: string) => `#/components/schemas/${id}`;
  // Refinements (the model's size rule, …) and transforms cannot be said in JSON Schema: their input type is what a client sends.
  const fromRequests = z.toJSONSchema(requests, { io: 'input', uri, unrepresentable: 'any' }).schemas;
  const fromAnswers = z.toJSONSchema(answers, { io: 'output', uri, unrepresentable: 'any' }).schemas;
  const schemas: Record<string, Json> = {};
  for (const [id, schema] of Object.entries({ ...fromAnswers, ...fromRequests })) {
    // Each component is part of this document, not a document of its own: no $schema or $id.
    const { $schema: _schema, $id: _id, ...rest } = schema as Json;
    schemas[id] = rest;
  }
  return schemas;
}

/** A query parameter for each field of a listing query schema, with its JSON Schema. */
function listQueryParameters(schema: z.ZodObject = listJobsQuerySchema): Json[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _schema, description, ...schema } = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Json;
    return { name, in: 'query', required: false, schema, ...(typeof description === 'string' ? { description } : {}) };
  });
}

const exampleJobId = '0b6d2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f';
const exampleJob = {
  id: exampleJobId,
  status: 'Succeeded',
  createdDateTime: '2026-11-25T08:00:00.000Z',
  lastUpdatedDateTime: '2026-11-25T08:00:09.000Z',
  model: 'gpt-image-2',
  request: { prompt: 'A dog beside the Eiffel Tower in morning light', n: 1, orientation: 'landscape', aspectRatio: '16:9', size: '1536x864', outputFormat: 'png', user: 'student-42', metadata: { classId: '4B', assignmentId: 'monuments' } },
  statusUrl: `https://edu4all.example/api/jobs/${exampleJobId}?token=1795…`,
  statusUrlExpiresOn: '2026-11-26T08:00:09.000Z',
  result: { images: [{ url: `https://st.blob.core.windows.net/images/${exampleJobId}/0.png?sv=…&sp=r&sig=…`, expiresOn: '2026-11-25T09:00:09.000Z', width: 1536, height: 864, contentType: 'image/png' }] },
  usage: { textInputTokens: 98, imageInputTokens: 0, outputTokens: 1332, estimatedCostUsd: 0.04 },
  webhooks: [{ id: 'msg_0b6d2c9e4f1a4c3b9d2e7a8b9c0d1e2f_job_succeeded', type: 'job.succeeded', state: 'Delivered', attemptCount: 1, attempts: [{ at: '2026-11-25T08:00:09.100Z', statusCode: 204, durationMs: 84 }] }],
};

/** An error response whose examples name the codes it can carry. */
function errorResponse(description: string, codes: readonly string[], headers: Json = {}): Json {
  return {
    description: `${description} Codes: ${codes.join(', ')}.`,
    headers,
    content: {
      'application/json': {
        schema: ref('Error'),
        examples: Object.fromEntries(codes.map((code) => [code, { value: { error: { code, message: `(${code}: a sentence saying what to do)` } } }])),
      },
    },
  };
}

const retryAfterHeader = { $ref: '#/components/headers/Retry-After' };
const unauthorized = errorResponse('No valid api-key header.', ['Unauthorized'], { 'WWW-Authenticate': { schema: { type: 'string' } } });
const notFound = errorResponse('No such job, or another tenant\'s job (the same answer, so ids cannot be probed).', ['NotFound']);
const unavailable = errorResponse('Storage is not available right now; retry after Retry-After.', ['ServiceUnavailable'], { 'Retry-After': retryAfterHeader });
const submitUnavailable = errorResponse(
  'Storage, or the content safety check, is not available right now; nothing was stored or spent. Retry after Retry-After (SafetyCheckUnavailable: the prompt could not be checked, so it was not sent on).',
  ['ServiceUnavailable', 'SafetyCheckUnavailable'],
  { 'Retry-After': retryAfterHeader },
);
const invalidHost = errorResponse('A malformed Host header, or a host this service does not serve.', ['InvalidHost']);
const jobIdParameter = { $ref: '#/components/parameters/JobId' };
const studentParameter = { name: 'user', in: 'path', required: true, description: 'The LMS\'s opaque student id, as sent in jobs\' user.', schema: { type: 'string' }, example: 'student-42' };
const exampleOperation = (status: string) => ({
  id: '9a1c2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f',
  kind: 'studentErasure',
  status,
  createdDateTime: '2026-11-25T08:00:00.000Z',
  lastUpdatedDateTime: status === 'NotStarted' ? '2026-11-25T08:00:00.000Z' : '2026-11-25T08:00:03.000Z',
  result: status === 'NotStarted' ? { jobs: 0, safetyEvents: 0, idempotencyRecords: 0, counters: 0, listingEntries: 0 } : { jobs: 12, safetyEvents: 2, idempotencyRecords: 3, counters: 4, listingEntries: 0 },
});
const apiKey = [{ apiKey: [] }];
const sessionOnly = [{ sessionToken: [] }];
const sessionReadsLimited = errorResponse('This session reads too often; wait for Retry-After.', ['RateLimited'], { 'Retry-After': retryAfterHeader });
const sessionUnauthorized = errorResponse('No valid session token, or an expired one (open the studio again from the LMS).', ['SessionInvalid', 'SessionExpired'], {
  'WWW-Authenticate': { schema: { type: 'string' } },
});

function jsonResponse(description: string, schema: string, example?: unknown, headers: Json = {}): Json {
  return { description, headers, content: { 'application/json': { schema: ref(schema), ...(example !== undefined ? { example } : {}) } } };
}

export function buildOpenApiDocument(parser: JobRequestParser, options: OpenApiOptions): Json {
  /** A webhook the service sends: signed (Standard Webhooks headers) and retried until a 2xx. */
  const webhookPost = (summary: string, description: string, schema: string, example?: unknown) => ({
    post: {
      summary,
      description,
      parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } })),
      requestBody: { required: true, content: { 'application/json': { schema: ref(schema), ...(example !== undefined ? { example } : {}) } } },
      responses: { '2XX': { description: 'Received. Anything else (or no answer in time) is retried.' } },
    },
  });

  const webhookRequest = (type: string) =>
    webhookPost(
      `${type}: sent to the job's callbackUrl (or the school's default) when it happens`,
      'Signed per the Standard Webhooks specification: verify webhook-signature over "webhook-id.webhook-timestamp.body" with the school\'s whsec_ secret ' +
        '(npm standardwebhooks: new Webhook(secret).verify(body, headers)). Retried with back-off for 25 hours until a 2xx, with the same webhook-id: drop ids you have handled. ' +
        'Answer quickly (within the timeout, 10 s by default); redirects are not followed; 410 stops the retries.',
      'WebhookEvent',
      { type, timestamp: '2026-11-25T08:00:09.100Z', data: exampleJob },
    );

  const safetyRefusedWebhook = webhookPost(
    `${safetyRefusedEventType}: sent to the school's webhook.url (never a job's callbackUrl) when a layer refuses a prompt or a picture`,
    'For the school\'s teachers: the safety event as GET /safety-events lists it, with the student\'s prompt (children\'s data: keep it as your retention rules say). ' +
      'Signed and retried exactly as the job events are; webhook-id is msg_<event id without dashes>_safety_refused.',
    'SafetyWebhookEvent',
  );

  const safetyUrgentWebhook = webhookPost(
    `${safetyUrgentEventType}: sent at once to the school's webhook.url when a student may be at risk of harming themselves`,
    'A self-harm or suicide signal in the first person ("me with cuts on my wrists", "ik wil niet meer leven"): the school\'s safeguarding lead or care coordinator should see it today. ' +
      'The body is the safety event (urgent: true) as GET /safety-events lists it. Its first attempt is made while the student\'s submit is answered, and it always arrives before the same event\'s safety.refused, ' +
      'which is sent only once this one is delivered or given up. Signed and retried as the other webhooks are; webhook-id is msg_<event id without dashes>_safety_urgent: drop ids you have handled.',
    'SafetyUrgentWebhookEvent',
  );

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Edu4All Image Jobs',
      version: options.version,
      description:
        'Image-generation jobs for schools, as Azure long-running operations: POST a job (202 with Operation-Location and Retry-After), ' +
        'poll it or receive a signed webhook, then download the images through short-lived links. Every call but health, this document, ' +
        'a status URL, the studio page and the calls a studio session token may make (POST /sessions opens one) needs the school\'s api-key header. ' +
        'Other origins\' browsers may only read a status URL (CORS preflights are answered on every path).',
    },
    servers: [{ url: '/api' }],
    security: apiKey,
    paths: {
      '/jobs': {
        post: {
          operationId: 'submitJob',
          summary: 'Submit an image job',
          description:
            `The body is checked against the configured model. ${options.modelSummary} A prompt refused by the word screen or the content safety classifier (400 PromptBlocked, a kind message for the student; the detail is a safety event for the teachers) is refused before anything is stored or spent. ` +
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
          parameters: listQueryParameters(),
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
      '/sessions': {
        post: {
          operationId: 'createSession',
          summary: 'Open a studio session for one student, and get the link for their browser',
          description:
            'The token in studioUrl\'s fragment (#session=…) may submit jobs for this student (their quota; user and metadata fixed by the session), ' +
            'read the jobs made in this session and list them, until expiresDateTime; every other route refuses it. It is signed and stateless: ' +
            'nothing about the student is stored for it, and it cannot be revoked before it expires (keep lifetimes short).',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('CreateSessionRequest'), example: { user: 'student-42', metadata: { classId: '4B', assignmentId: 'monuments' }, locale: 'nl', lifetimeMinutes: 120 } } },
          },
          responses: {
            '201': jsonResponse('The session and its studio link.', 'Session', {
              id: '7c1e2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f',
              studioUrl: 'https://edu4all.example/api/studio#session=eyJ2Ijox…',
              expiresDateTime: '2026-11-25T10:00:00.000Z',
              user: 'student-42',
              metadata: { classId: '4B', assignmentId: 'monuments' },
              locale: 'nl',
            }),
            '400': errorResponse('The body is not valid; target names the field.', ['InvalidJson', 'InvalidRequest', 'MissingField', 'InvalidField', 'UnknownField', 'InvalidHost']),
            '401': unauthorized,
            '415': errorResponse('Not application/json in UTF-8.', ['UnsupportedMediaType']),
          },
        },
      },
      '/sessions/current': {
        get: {
          operationId: 'getCurrentSession',
          summary: 'For the studio page: its session\'s language, limits, what the studio offers (shapes, pictures a job), and whether the pictures are placeholders',
          security: sessionOnly,
          responses: {
            '200': jsonResponse('The session.', 'SessionInfo'),
            '401': sessionUnauthorized,
            '429': sessionReadsLimited,
          },
        },
      },
      '/sessions/current/jobs': {
        get: {
          operationId: 'listSessionJobs',
          summary: 'For the studio page: the jobs this session made, newest first (pages of at most 30), with fresh image links',
          description:
            'Each read costs the session\'s read budget (per instance) one, plus one per job on the page; a page that reads in a loop gets 429 RateLimited with Retry-After. Polling a job once a second never reaches it.',
          security: sessionOnly,
          parameters: listQueryParameters(sessionJobsQuerySchema),
          responses: {
            '200': {
              description: 'The gallery.',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { value: { type: 'array', items: ref('Job') }, nextLink: { type: 'string', description: 'The next page; absent on the last page.' } }, required: ['value'] },
                },
              },
            },
            '400': errorResponse('A query parameter is not valid; target names it.', ['InvalidField']),
            '401': sessionUnauthorized,
            '429': sessionReadsLimited,
            '503': unavailable,
          },
        },
      },
      '/studio': {
        get: {
          operationId: 'getStudio',
          summary: 'The studio page (HTML); open the studioUrl of a session',
          description: "Served with Content-Security-Policy (scripts and styles from this origin only, images also from the storage account), Referrer-Policy no-referrer and X-Content-Type-Options nosniff.",
          security: [],
          responses: { '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } } },
        },
      },
      '/studio/{file}': {
        get: {
          operationId: 'getStudioAsset',
          summary: 'The studio page\'s script and style',
          security: [],
          parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', enum: ['studio.html', 'studio.css', 'studio.js', 'i18n.js', 'render.js'] } }],
          responses: {
            '200': { description: 'The file (revalidate with its ETag).', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } },
            '304': { description: 'Not modified (If-None-Match).' },
            '404': errorResponse('No such file.', ['NotFound']),
          },
        },
      },
      '/uploads': {
        post: {
          operationId: 'createUpload',
          summary: 'A place for one picture (for an edit or a variation): PUT the file to uploadUrl, then name the id in a job',
          responses: {
            '201': jsonResponse('A create-only link to one blob, for 15 minutes.', 'Upload', {
              id: '5d1e2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f',
              uploadUrl: 'https://account.blob.core.windows.net/uploads/demo/5d1e2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f?sv=…&sp=c&sig=…',
              expiresOn: '2026-11-25T08:15:00.000Z',
              method: 'PUT',
              headers: { 'x-ms-blob-type': 'BlockBlob' },
            }),
            '401': unauthorized,
            '503': unavailable,
          },
        },
      },
      '/usage': {
        get: {
          operationId: 'getUsage',
          summary: 'Images used and left today and this month, the estimated spend, and the money budgets the school sets',
          parameters: [{ name: 'user', in: 'query', required: false, description: 'Also this student\'s use today.', schema: { type: 'string' } }],
          responses: {
            '200': jsonResponse('Usage.', 'Usage', { tenant: 'demo', day: { used: 12, limit: 10000, resetsOn: '2026-11-26T00:00:00.000Z', estimatedCost: { currency: 'USD', amount: 0.96 }, budget: { currency: 'USD', reserved: 1.04, limit: 20 } }, month: { used: 40, limit: 200000, resetsOn: '2026-12-01T00:00:00.000Z', estimatedCost: { currency: 'USD', amount: 3.2 } } }),
            '400': errorResponse('user is not a valid student id.', ['InvalidField']),
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
      '/health': {
        get: {
          operationId: 'getHealth',
          summary: 'Whether storage, the image provider\'s credentials and the model are fine',
          security: [],
          responses: {
            '200': jsonResponse('Healthy.', 'Health', { status: 'Healthy', checks: { storage: { ok: true }, imageProvider: { ok: true }, model: { ok: true } } }),
            '503': jsonResponse('Unhealthy: the failing check says why.', 'Health'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
    webhooks: {
      ...Object.fromEntries(webhookEventTypes.map((type) => [type, webhookRequest(type)])),
      [safetyRefusedEventType]: safetyRefusedWebhook,
      [safetyUrgentEventType]: safetyUrgentWebhook,
    },
    components: {
      schemas: componentSchemas(parser),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'api-key', description: 'The school\'s API key (kept on the LMS server, never in a browser).' },
        statusToken: { type: 'apiKey', in: 'query', name: 'token', description: 'The token in a job\'s statusUrl: reads that one job until statusUrlExpiresOn.' },
        sessionToken: { type: 'http', scheme: 'bearer', description: 'A studio session\'s token (POST /sessions, in the studioUrl\'s fragment), sent as Authorization: Bearer.' },
      },
      parameters: {
        JobId: { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, example: exampleJobId },
        'Idempotency-Key': {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Makes retries safe: the same key and body answer with the same job (per caller: the school\'s api-key and each studio session have keys of their own; kept at least 24 hours); the same key with another body is 409.',
          schema: { type: 'string', pattern: '^[\x21-\x7E]{1,255}$' },
          example: '5f0c1b8e-2a7d-4c6e-9b1f-3d2e4a5b6c7d',
        },
      },
      headers: {
        'Operation-Location': { description: 'The job\'s status URL (Azure long-running operation).', schema: { type: 'string', format: 'uri' } },
        'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'integer', minimum: 1 } },
      },
    },
  };
}
