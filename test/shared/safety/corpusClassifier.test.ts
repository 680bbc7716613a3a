import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startContentSafetyService, type ContentSafetyService } from '../../../local/contentSafety/contentSafetyService';
import { projectDir } from '../../../local/harness/stack';
import { defaultSafety } from '../../../shared/config/tenants';
import { createContentSafety } from '../../../shared/safety/contentSafety';
import { createPromptScreen, loadDefaultTerms } from '../../../shared/safety/promptScreen';

/**
 * The safety corpus (test/shared/safety/corpus/refused.txt and innocent.txt, one prompt per line, # comments)
 * through the first two layers: the screen in process, then, for what it lets through, the classifier through
 * our real client over HTTP against the local stand-in. It prints per-layer figures (how many each layer
 * refused or passed, and the classifier's latency p50/p99 as the submit sees it). The stand-in is a simple word
 * list, so its refusal figures say nothing about Azure's classifier; the latency is this machine's HTTP and
 * SDK cost. No assertions on timing; none on the stand-in's catch rate either. Skipped without the corpus.
 */

const corpusDir = path.join(projectDir, 'test', 'shared', 'safety', 'corpus');
const files = ['refused.txt', 'innocent.txt'] as const;
const present = files.every((file) => existsSync(path.join(corpusDir, file)));

function prompts(file: string): string[] {
  return readFileSync(path.join(corpusDir, file), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

describe('the safety corpus through the screen and the classifier (stand-in)', { skip: present ? false : 'no corpus files in test/shared/safety/corpus' }, () => {
  let service: ContentSafetyService;
  before(async () => {
    service = await startContentSafetyService();
  });
  after(() => service?.close());

  it('prints how many prompts each layer refused and passed, and what the classifier cost', async () => {
    const screen = createPromptScreen(loadDefaultTerms());
    const classifier = createContentSafety({ endpoint: service.url, apiKey: 'local', timeoutInMs: 5000 });
    // Warm the connection and the SDK, so the first prompt does not carry their start-up.
    await classifier.check('a cat', defaultSafety);
    const latencies: number[] = [];
    const screenMicros: number[] = [];
    for (const file of files) {
      const list = prompts(file);
      let screened = 0;
      let classified = 0;
      let passed = 0;
      const categories = new Map<string, number>();
      for (const prompt of list) {
        const screenStart = performance.now();
        const blocked = screen.screen(prompt).blocked;
        screenMicros.push((performance.now() - screenStart) * 1000);
        if (blocked) {
          screened++;
          continue;
        }
        const verdict = await classifier.check(prompt, defaultSafety);
        latencies.push(verdict.durationMs);
        if (verdict.refused) {
          classified++;
          for (const category of verdict.categories) categories.set(category, (categories.get(category) ?? 0) + 1);
        } else passed++;
      }
      assert.equal(screened + classified + passed, list.length);
      console.log(
        `corpus ${file}: prompts=${list.length} screen refused=${screened} classifier refused=${classified} passed=${passed}` +
          (categories.size > 0 ? ` (classifier categories: ${[...categories].map(([name, count]) => `${name} ${count}`).join(', ')})` : ''),
      );
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const screenSorted = [...screenMicros].sort((a, b) => a - b);
    console.log(
      `corpus latency: screen p50=${percentile(screenSorted, 50).toFixed(0)} µs p99=${percentile(screenSorted, 99).toFixed(0)} µs; ` +
        `classifier (analyze + shieldPrompt in parallel, over HTTP to the stand-in) calls=${sorted.length} p50=${percentile(sorted, 50)} ms p99=${percentile(sorted, 99)} ms`,
    );
  });
});
