import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startAzurite } from '../../local/azurite/azurite';
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

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('npm start', () => {
  it('prints a studio link for a demo student that opens the page and works', async () => {
    // Its own Azurite and free ports, so a developer's npm start (7071, 10000-10002) is left alone.
    const azurite = await startAzurite({ quiet: true });
    const [functionsPort, imagePort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [path.join(projectDir, 'dist', 'local', 'start.js')], {
      env: { PATH: process.env['PATH'] ?? '', AzureWebJobsStorage: azurite.connectionString, FUNCTIONS_PORT: String(functionsPort), AZURE_OPENAI_ENDPOINT: `http://127.0.0.1:${imagePort}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    try {
      const link = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no studio link within 30 s:\n${output}`)), 30_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /Studio for a demo student[^\n]*\n\s+(http:\/\/localhost:\d+\/api\/studio#session=\S+)/.exec(output);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
      });
      const url = new URL(link);
      assert.equal(url.port, String(functionsPort));
      const page = await fetch(`${url.origin}${url.pathname}`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const token = new URLSearchParams(url.hash.slice(1)).get('session') ?? '';
      const session = await fetch(`${url.origin}/api/sessions/current`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(session.status, 200);
      assert.equal(((await session.json()) as { placeholderPictures: boolean }).placeholderPictures, true);
    } finally {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGINT');
        });
      }
      await azurite.stop();
    }
  });
});
