import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { developmentConnectionString } from '../../local/azurite/azurite';
import { hostSettings, startHostProcess, statusTokenSecret, tenantA, tenantsSetting } from '../../local/harness/stack';

/** A port on this machine that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

describe('health when storage is down', () => {
  it('answers 503 naming the storage check, and the host keeps serving', async () => {
    const port = await closedPort();
    const down = `http://127.0.0.1:${port}`;
    const host = await startHostProcess(hostSettings({ AzureWebJobsStorage: developmentConnectionString(down, down, down) }));
    try {
      const response = await fetch(`${host.url}/api/health`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as { status: string; checks: { storage: { ok: boolean; message?: string }; imageProvider: { ok: boolean } } };
      assert.equal(body.status, 'Unhealthy');
      assert.equal(body.checks.storage.ok, false);
      assert.equal(body.checks.storage.message, 'Storage does not answer.');
      assert.ok(!JSON.stringify(body).includes('127.0.0.1'), 'no internals to an anonymous caller');
      assert.equal(body.checks.imageProvider.ok, true);
      const submit = await fetch(`${host.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'api-key': tenantA.key }, body: '{"prompt":"a cat"}' });
      assert.equal(submit.status, 503);
      assert.equal(((await submit.json()) as { error: { code: string } }).error.code, 'ServiceUnavailable');
    } finally {
      await host.kill();
    }
  });

  it('refuses to start with a setting that is wrong, naming it', async () => {
    await assert.rejects(
      startHostProcess({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', AZURE_OPENAI_DEPLOYMENT: 'gpt-image-2', AZURE_OPENAI_API_KEY: 'k', TENANTS: tenantsSetting(), STATUS_TOKEN_SECRETS: statusTokenSecret }),
      /AZURE_OPENAI_ENDPOINT is required/,
    );
  });
});
