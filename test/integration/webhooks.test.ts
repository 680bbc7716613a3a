import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, tenantA, tenantB, type JsonObject, type Stack } from '../../local/harness/stack';
import { sendWebhook } from '../../shared/webhooks/sender';
import { startReceiver } from '../helpers/webhookReceiver';

/**
 * Webhooks end to end: the local host delivers from its own queue to a real receiver (an http server,
 * test/helpers/webhookReceiver.ts) that verifies every signature with the standardwebhooks library; failures are retried with the same
 * webhook-id, a silent receiver is cut off by the timeout, redirects are not followed, and outside local
 * development loopback and private targets are refused.
 */

/**
 * Submits a job whose callbackUrl must be refused at submit. These targets are not loopback: if the service
 * accepted one (the defect), the job is erased at once, before any worker ends it, so no delivery is tried.
 */
async function submitRefusedCallback(stack: Stack, callbackUrl: string): Promise<JsonObject> {
  const submitted = await stack.submit({ prompt: 'a lighthouse at dawn', callbackUrl });
  if (submitted.status === 202) await fetch(`${stack.url}/api/jobs/${String(submitted.body.id)}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } });
  assert.equal(submitted.status, 400, `${callbackUrl}: ${JSON.stringify(submitted.body)}`);
  assert.equal(submitted.body.error?.code, 'InvalidField');
  assert.equal(submitted.body.error?.target, 'callbackUrl');
  return submitted.body;
}

type Delivery = { id: string; type: string; state: string; attemptCount: number; attempts: Array<{ statusCode?: number; error?: string; durationMs: number }>; nextAttemptDateTime?: string };

describe('webhooks', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { WEBHOOK_TIMEOUT_SECONDS: '2' } });
  });
  after(() => stack.stop());

  async function submitWithCallback(callbackUrl: string): Promise<string> {
    const submitted = await stack.submit({ prompt: 'a lighthouse at dawn', callbackUrl });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    return String(submitted.body.id);
  }

  /** The job's delivery log once it satisfies `done`. */
  async function deliveryLog(id: string, done: (delivery: Delivery) => boolean, timeoutInMs = 20_000): Promise<Delivery> {
    const deadline = Date.now() + timeoutInMs;
    for (;;) {
      const { body } = await stack.getJob(id);
      const delivery = (body['webhooks'] as Delivery[] | undefined)?.[0];
      if (delivery && done(delivery)) return delivery;
      if (Date.now() > deadline) throw new Error(`webhook log of ${id}: ${JSON.stringify(delivery)}\n${stack.hosts.map((h) => h.logs()).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('delivers job.succeeded, signed, with the job as a status read shows it and working image links', async () => {
    const receiver = await startReceiver((_n, res) => res.writeHead(204).end());
    try {
      const id = await submitWithCallback(receiver.url);
      const { event, headers } = await receiver.nth(1);
      assert.equal(event.type, 'job.succeeded');
      assert.equal(event.data.id, id);
      assert.equal(event.data.status, 'Succeeded');
      assert.match(headers['webhook-id'] ?? '', /^msg_/);
      const image = event.data.result?.images?.[0];
      assert.ok(image);
      assert.equal((await fetch(image.url)).status, 200);
      const delivery = await deliveryLog(id, (d) => d.state === 'Delivered');
      assert.equal(delivery.attemptCount, 1);
      assert.equal(delivery.attempts[0]?.statusCode, 204);
      assert.equal(delivery.id, headers['webhook-id']);
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver that fails, then recovers, with the same webhook-id', async () => {
    const receiver = await startReceiver((n, res) => res.writeHead(n === 1 ? 503 : 200).end('ok'));
    try {
      const id = await submitWithCallback(receiver.url);
      const first = await receiver.nth(1);
      const second = await receiver.nth(2, 30_000);
      assert.equal(second.headers['webhook-id'], first.headers['webhook-id']);
      const delivery = await deliveryLog(id, (d) => d.state === 'Delivered');
      assert.deepEqual(delivery.attempts.map((a) => a.statusCode), [503, 200]);
    } finally {
      await receiver.close();
    }
  });

  it('gives up on a receiver that never answers after the timeout, and schedules the next try', async () => {
    const receiver = await startReceiver(() => undefined);
    try {
      const id = await submitWithCallback(receiver.url);
      const delivery = await deliveryLog(id, (d) => d.attemptCount >= 1);
      assert.equal(delivery.state, 'Pending');
      assert.match(delivery.attempts[0]?.error ?? '', /no answer within 2000 ms/);
      assert.ok((delivery.attempts[0]?.durationMs ?? 0) < 4_000);
      assert.ok(delivery.nextAttemptDateTime);
    } finally {
      await receiver.close();
    }
  });

  it('does not follow redirects', async () => {
    const elsewhere = await startReceiver((_n, res) => res.writeHead(204).end());
    const redirecting = await startReceiver((_n, res) => res.writeHead(307, { location: elsewhere.url }).end());
    try {
      const id = await submitWithCallback(redirecting.url);
      const delivery = await deliveryLog(id, (d) => d.attemptCount >= 1);
      assert.equal(delivery.attempts[0]?.statusCode, 307);
      assert.match(delivery.attempts[0]?.error ?? '', /redirects are not followed/);
      assert.equal(elsewhere.received.length, 0);
    } finally {
      await Promise.all([elsewhere.close(), redirecting.close()]);
    }
  });

  it('refuses loopback and private targets, and http, outside local development', async () => {
    const receiver = await startReceiver((_n, res) => res.writeHead(204).end());
    try {
      for (const url of [receiver.url, receiver.url.replace('127.0.0.1', 'localhost'), 'https://10.0.0.1/hooks', 'https://169.254.169.254/latest']) {
        const sent = await sendWebhook(url, {}, '{}', { allowPrivateTargets: false, timeoutInMs: 2_000 });
        assert.equal(sent.outcome.kind, 'refused', url);
      }
      assert.equal(receiver.received.length, 0);
    } finally {
      await receiver.close();
    }
  });

  it('refuses a callbackUrl from a school without a webhook secret, and a callbackUrl that is not a URL', async () => {
    const withoutSecret = await stack.submit({ prompt: 'a cat', callbackUrl: 'https://lms.example/hooks' }, { 'api-key': tenantB.key });
    assert.equal(withoutSecret.status, 400);
    assert.equal(withoutSecret.body.error?.code, 'WebhooksNotConfigured');
    const notUrl = await stack.submit({ prompt: 'a cat', callbackUrl: 'lms.example/hooks' });
    assert.equal(notUrl.status, 400);
    assert.equal(notUrl.body.error?.target, 'callbackUrl');
  });

  it('refuses the metadata service at submit in every spelling, even with private targets allowed (local development)', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'https://[::ffff:169.254.169.254]/', 'https://[::ffff:0:a9fe:a9fe]/', 'https://[64:ff9b:1::a9fe:a9fe]/', 'https://[fd00:ec2::254]/']) {
      const body = await submitRefusedCallback(stack, url);
      assert.match(body.error?.message ?? '', /metadata service.*which webhooks may never target/, url);
    }
  });
});

describe('webhook targets outside local development', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'false' } });
  });
  after(() => stack.stop());

  it('refuses a callbackUrl whose IP literal is in a refused range at submit, naming the rule', async () => {
    const refused: Array<[url: string, rule: RegExp]> = [
      ['https://[::ffff:0:127.0.0.1]:8443/hook', /::ffff:0:7f00:1 is in ::ffff:0:0:0\/96 \(IPv4-translated/],
      ['https://[64:ff9b:1::7f00:1]:8443/hook', /64:ff9b:1::7f00:1 is in 64:ff9b:1::\/48 \(local-use IPv4\/IPv6 translation/],
      ['https://[::ffff:0:a9fe:a9fe]/hook', /metadata service/],
      ['https://[64:ff9b:1::a9fe:a9fe]/hook', /metadata service/],
      ['https://169.254.10.1/hook', /169\.254\.0\.0\/16 \(link-local/],
      ['https://[64:ff9b::10.0.0.1]/hook', /carries 10\.0\.0\.1, which is in 10\.0\.0\.0\/8/],
      ['https://127.0.0.1:8443/hook', /127\.0\.0\.0\/8 \(loopback/],
    ];
    for (const [url, rule] of refused) assert.match((await submitRefusedCallback(stack, url)).error?.message ?? '', rule, url);
    assert.equal(stack.imageService.calls().length, 0, 'nothing was made for a refused submit');
  });
});
