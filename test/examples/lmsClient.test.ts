import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { downloadImages, listClassJobs, startWebhookReceiver, submit, waitForJob } from '../../examples/lmsClient';
import { pngSize, startStack, tenantA, webhookSecretA, type Stack } from '../../local/harness/stack';

/** The LMS client example, run against the local stack as an LMS developer would run it against npm start. */
describe('LMS client example', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.stop());
  const options = () => ({ baseUrl: `${stack.url}/api`, apiKey: tenantA.key });

  it('submits with an Idempotency-Key, polls honouring Retry-After, downloads the images and lists the class', async () => {
    const key = randomUUID();
    const request = { prompt: 'a windmill in a tulip field', n: 2, metadata: { classId: 'example-class' } };
    const first = await submit(options(), request, key);
    const retried = await submit(options(), request, key);
    assert.equal(retried.id, first.id, 'a retry with the same key is the same job');
    const job = await waitForJob(options(), first.operationLocation);
    assert.equal(job.status, 'Succeeded');
    const images = await downloadImages(job);
    assert.equal(images.length, 2);
    assert.ok(images.every((image) => pngSize(image).width > 0));
    assert.deepEqual((await listClassJobs(options(), 'example-class')).map((item) => item.id), [first.id]);
  });

  it('receives the signed webhook instead of polling, and verifies it', async () => {
    const receiver = await startWebhookReceiver(webhookSecretA);
    try {
      const submitted = await submit(options(), { prompt: 'a canal boat', callbackUrl: receiver.url });
      const event = await receiver.eventFor(submitted.id, 20_000);
      assert.equal(event.type, 'job.succeeded');
      assert.equal((await downloadImages(event.data)).length, 1);
    } finally {
      await receiver.close();
    }
  });
});
