import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startStack, type Stack } from '../helpers/stack';

/** The same code with IMAGE_MODEL=dall-e-3: a retired model is a setting, and n > 1 fans out. */
describe('job pipeline (dall-e-3 profile)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ model: 'dall-e-3' });
  });
  after(async () => {
    await stack?.stop();
  });

  it('fans n = 3 out as three one-image calls and returns each revised prompt', async () => {
    const marker = `fanout-${Date.now()}`;
    const submitted = await stack.submit({ prompt: `A hot-air balloon over Amsterdam ${marker}`, n: 3, orientation: 'landscape', quality: 'hd', style: 'natural', user: 'student-7' });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const job = await stack.waitForJob(String(submitted.body.id));
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    const images = job.result?.images ?? [];
    assert.equal(images.length, 3);
    for (const image of images) {
      assert.deepEqual([image.width, image.height], [1792, 1024]);
      assert.match(image.revisedPrompt ?? '', /hot-air balloon over Amsterdam/);
      const metadata = await sharp(Buffer.from(await (await fetch(image.url)).arrayBuffer())).metadata();
      assert.deepEqual([metadata.width, metadata.height], [1792, 1024]);
    }
    const calls = stack.imageService.calls().filter((call) => call.prompt.includes(marker));
    assert.deepEqual(calls.map((call) => [call.n, call.size, call.status]), [
      [1, '1792x1024', 200],
      [1, '1792x1024', 200],
      [1, '1792x1024', 200],
    ]);
  });

  it("validates against dall-e-3's parameters", async () => {
    const gptSize = await stack.submit({ prompt: 'a cat', size: '1536x1024' });
    assert.equal(gptSize.status, 400);
    assert.equal(gptSize.body.error?.target, 'size');
    assert.match(gptSize.body.error?.message ?? '', /1792x1024/);
    const gptQuality = await stack.submit({ prompt: 'a cat', quality: 'high' });
    assert.equal(gptQuality.status, 400);
    assert.equal(gptQuality.body.error?.target, 'quality');
  });

  it('keeps the whole prompt within 4,000 characters', async () => {
    const marker = `long-${Date.now()}`;
    const submitted = await stack.submit({ prompt: `${marker} ${'a tall tree '.repeat(83)}`.slice(0, 1000) });
    assert.equal(submitted.status, 202);
    const job = await stack.waitForJob(String(submitted.body.id));
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    const call = stack.imageService.calls().find((c) => c.prompt.includes(marker));
    assert.ok(call && [...call.prompt].length <= 4000);
  });
});
