import { Webhook } from 'standardwebhooks';

/**
 * Signing per the Standard Webhooks specification, with its reference library: `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature`, an HMAC-SHA256 over "id.timestamp.body". With
 * two secrets (rotation) the header carries both signatures, space-separated, so a receiver that knows
 * either secret verifies.
 */
export function signWebhook(secrets: readonly string[], webhookId: string, timestamp: Date, body: string): Record<string, string> {
  if (secrets.length === 0) throw new Error('signWebhook needs at least one secret');
  const signatures = secrets.map((secret) => new Webhook(secret).sign(webhookId, timestamp, body));
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
