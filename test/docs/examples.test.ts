import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectDir } from '../../local/harness/stack';

/**
 * The examples a newcomer copies: a webhook example that points at one of npm start's own services gets
 * answers from it (the Content Safety stand-in answered 404 and the job retried for 25 hours).
 */
describe('the examples in the README, docs/ and api.http', () => {
  const read = (file: string) => readFileSync(path.join(projectDir, file), 'utf8');
  /** Every file a newcomer copies examples from: the README, each page of docs/, and api.http. */
  const exampleFiles = ['README.md', ...readdirSync(path.join(projectDir, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'api.http'];
  /** The webhook example lives with the API reference; api.http has its own. */
  const filesWithCallbackExamples = ['docs/api.md', 'api.http'];
  const settings = JSON.parse(read('local.settings.example.json')) as { Values: Record<string, string> };
  /** Every port npm start listens on: the Functions host, Azurite, and each local endpoint in the example settings. */
  const portsOfNpmStart = new Set([7071, 10000, 10001, 10002]);
  for (const value of Object.values(settings.Values)) {
    if (!URL.canParse(value)) continue;
    const url = new URL(value);
    if (['127.0.0.1', 'localhost'].includes(url.hostname) && url.port) portsOfNpmStart.add(Number(url.port));
  }

  it('sends webhooks to a port that none of npm start\'s services uses', () => {
    const examples = new Map<string, number>();
    for (const file of exampleFiles) {
      for (const match of read(file).matchAll(/"callbackUrl":\s*"([^"]+)"/g)) {
        const url = new URL(match[1] ?? '');
        examples.set(file, (examples.get(file) ?? 0) + 1);
        assert.ok(!portsOfNpmStart.has(Number(url.port)), `${file}: ${url.href} is a port npm start uses (${[...portsOfNpmStart].join(', ')})`);
      }
    }
    for (const file of filesWithCallbackExamples) assert.ok((examples.get(file) ?? 0) >= 1, `${file} shows a callbackUrl`);
  });

  it('says how to run a receiver on the port the examples send to', () => {
    for (const file of exampleFiles) {
      const text = read(file);
      for (const match of text.matchAll(/"callbackUrl":\s*"http:\/\/127\.0\.0\.1:(\d+)\//g)) {
        assert.ok(text.includes(`lmsClient.js --listen ${match[1]}`), `${file} says how to receive on port ${match[1]}`);
      }
    }
  });
});
