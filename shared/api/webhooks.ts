import { safetyRefusedEventType, safetyUrgentEventType, webhookEventTypes } from '../webhooks/outbox/eventTypes';
import { exampleJob } from './exampleJob';
import { ref, type Json } from './responses';

/** The webhooks the service sends (OpenAPI 3.1 `webhooks`): the job events, and the safety events for the school's teachers. */

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

const safetyRefusedWebhook = () =>
  webhookPost(
  `${safetyRefusedEventType}: sent to the school's webhook.url (never a job's callbackUrl) when a layer refuses a prompt or a picture`,
  'For the school\'s teachers: the safety event as GET /safety-events lists it, with the student\'s prompt (children\'s data: keep it as your retention rules say). ' +
    'Signed and retried exactly as the job events are; webhook-id is msg_<event id without dashes>_safety_refused.',
  'SafetyWebhookEvent',
);

const safetyUrgentWebhook = () =>
  webhookPost(
  `${safetyUrgentEventType}: sent at once to the school's webhook.url when a student may be at risk of harming themselves`,
  'A self-harm or suicide signal in the first person ("me with cuts on my wrists", "ik wil niet meer leven"): the school\'s safeguarding lead or care coordinator should see it today. ' +
    'The body is the safety event (urgent: true) as GET /safety-events lists it. Its first attempt is made while the student\'s submit is answered, and it always arrives before the same event\'s safety.refused, ' +
    'which is sent only once this one is delivered or given up. Signed and retried as the other webhooks are; webhook-id is msg_<event id without dashes>_safety_urgent: drop ids you have handled.',
  'SafetyUrgentWebhookEvent',
);

export function webhooks(): Json {
  return {
    ...Object.fromEntries(webhookEventTypes.map((type) => [type, webhookRequest(type)])),
    [safetyRefusedEventType]: safetyRefusedWebhook(),
    [safetyUrgentEventType]: safetyUrgentWebhook(),
  };
}
