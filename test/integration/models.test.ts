import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { hostSettings, startHostProcess, startStack, type Stack } from '../../local/harness/stack';

/**
 * The model is a setting: a retired one stops start-up with the way out, and a fixed-size model that Azure
 * still serves (gpt-image-1-mini) gets the nearest size it has for each shape, shown on the job.
 */
describe('models other than the default', () => {
  it('refuses to start on a retired model, naming the replacement', async () => {
    await assert.rejects(
      startHostProcess(hostSettings({ IMAGE_MODEL: 'dall-e-3', AZURE_OPENAI_DEPLOYMENT: 'dall-e-3' })),
      /dall-e-3 is retired in Azure OpenAI since 2026-03-04.*Move to gpt-image-2/,
    );
  });

  describe('gpt-image-1-mini (fixed sizes)', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ model: 'gpt-image-1-mini' });
    });
    after(async () => {
      await stack?.stop();
    });

    it('makes a 16:9 request the nearest size it has, and says so on the job', async () => {
      const submitted = await stack.submit({ prompt: `A sailing ship ${Date.now()}`, aspectRatio: '16:9' });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      assert.equal((submitted.body.request as { size?: string }).size, '1536x1024');
      const job = await stack.waitForJob(String(submitted.body.id));
      assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
      const image = job.result!.images![0]!;
      const metadata = await sharp(Buffer.from(await (await fetch(image.url)).arrayBuffer())).metadata();
      assert.deepEqual([metadata.width, metadata.height], [1536, 1024]);
      assert.ok((job.usage?.estimatedCostUsd ?? 0) > 0, 'priced per image');
    });

    it('states its size rule when a size breaks it', async () => {
      const refused = await stack.submit({ prompt: 'a cat', size: '1536x864' });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error?.target, 'size');
      assert.match(refused.body.error?.message ?? '', /one of 1024x1024, 1536x1024, 1024x1536 for model gpt-image-1-mini/);
    });
  });
});
