import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectDir } from '../../local/harness/stack';

/** `npm start` checks everything before it starts anything, and leaves nothing running when it fails. */
function runStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(projectDir, 'dist', 'local', 'start.js')], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm start failing cleanly', () => {
  it('refuses a bad setting before starting Azurite or anything else', async () => {
    const { code, output } = await runStart({ IMAGE_MODEL: 'dall-e-3' });
    assert.equal(code, 1, output);
    assert.match(output, /npm start failed: IMAGE_MODEL dall-e-3 is retired/);
    assert.doesNotMatch(output, /Azurite: blob|Local image service/);
  });

  it('names a port that is taken and what to do, starting nothing', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const { code, output } = await runStart({ FUNCTIONS_PORT: String(port) });
      assert.equal(code, 1, output);
      // Normally the blocked Functions port; if a developer's npm start holds Azurite's ports, those are named first.
      assert.match(output, /port \d+ \(.+\) is in use\. Another npm start may still be running/);
      assert.doesNotMatch(output, /Azurite: blob|Local image service/);
    } finally {
      blocker.close();
    }
  });
});
