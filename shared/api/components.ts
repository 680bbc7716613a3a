import { z } from 'zod';
import { usageSchema } from '../access/quotas';
import { errorBodySchema } from '../errors';
import { healthResponseSchema } from '../health/health';
import { jobListSchema, jobSummarySchema } from '../views/jobListing';
import type { JobRequestParser } from '../jobs/jobRequestParser';
import { imageResourceSchema, jobResourceSchema } from '../views/jobView';
import { accessLogEntrySchema, accessLogListSchema } from '../privacy/accessLog';
import { operationResourceSchema } from '../privacy/operation';
import { studentExportSchema } from '../privacy/studentExport';
import { safetyEventListSchema, safetyEventSchema } from '../safety/safetyEventListing';
import { createSessionRequestSchema, sessionInfoSchema, sessionResourceSchema } from '../sessions/sessions';
import { uploadResourceSchema } from '../storage/uploadStore';
import { safetyUrgentWebhookEventSchema, safetyWebhookEventSchema, webhookEventSchema } from '../webhooks/events';
import { exampleJobId } from './exampleJob';
import type { Json } from './responses';

/** The document's `components`: the schemas from zod, and the security schemes, parameters and headers the paths name. */

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

export function components(parser: JobRequestParser): Json {
  return {
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
  };
}
