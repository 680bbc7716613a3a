import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPromptScreen, loadDefaultTerms, type ScreenResult } from '../../../shared/safety/promptScreen';
import { readCorpus, type CorpusPrompt } from './corpusFiles';

/**
 * The red-team corpus (corpus/refused.txt, corpus/innocent.txt) through the prompt screen, with the figures
 * per layer printed: refused at once by the screen, sent on to the classifier because of a context term,
 * let through; innocent prompts falsely refused; the screen's time per prompt. The screen must refuse no
 * innocent prompt and must refuse or flag every prompt of the refusal corpus. Times are printed, never asserted.
 */

const screen = createPromptScreen(loadDefaultTerms());
const refused = readCorpus('refused');
const innocent = readCorpus('innocent');

interface Outcome {
  readonly prompt: CorpusPrompt;
  readonly result: ScreenResult;
}

const percent = (part: number, whole: number) => `${((100 * part) / Math.max(whole, 1)).toFixed(1)} %`;
const run = (prompts: CorpusPrompt[]): Outcome[] => prompts.map((prompt) => ({ prompt, result: screen.screen(prompt.prompt) }));
const isFlagged = (outcome: Outcome) => !outcome.result.blocked && (outcome.result.contextTerms?.length ?? 0) > 0;

describe('red-team corpus through the prompt screen', () => {
  it('has at least 200 prompts on each side', () => {
    assert.ok(refused.length >= 200, `refused.txt has ${refused.length}`);
    assert.ok(innocent.length >= 200, `innocent.txt has ${innocent.length}`);
  });

  it('refuses or flags every prompt a school would refuse', (t) => {
    const outcomes = run(refused);
    const blocked = outcomes.filter((outcome) => outcome.result.blocked);
    const flagged = outcomes.filter(isFlagged);
    const through = outcomes.filter((outcome) => !outcome.result.blocked && !isFlagged(outcome));
    t.diagnostic(`refusal corpus: ${outcomes.length} prompts`);
    t.diagnostic(`  screen, refused at once:        ${blocked.length} (${percent(blocked.length, outcomes.length)})`);
    t.diagnostic(`  screen, to the classifier:      ${flagged.length} (${percent(flagged.length, outcomes.length)}) (context terms)`);
    t.diagnostic(`  screen, let through:            ${through.length} (${percent(through.length, outcomes.length)})`);
    const sections = [...new Set(outcomes.map((outcome) => outcome.prompt.section))];
    for (const section of sections) {
      const inSection = outcomes.filter((outcome) => outcome.prompt.section === section);
      const refusedHere = inSection.filter((outcome) => outcome.result.blocked).length;
      const flaggedHere = inSection.filter(isFlagged).length;
      t.diagnostic(`    ${section}: ${inSection.length} prompts, ${refusedHere} refused, ${flaggedHere} flagged`);
    }
    assert.deepEqual(
      through.map((outcome) => outcome.prompt.prompt),
      [],
      'every refusal-corpus prompt is refused by the screen or flagged for the classifier',
    );
    // The goal, met by the screen alone so it holds whatever classifier runs behind it (the local one
    // is a stand-in): at least 98 % refused before any provider call.
    assert.ok(blocked.length / outcomes.length >= 0.98, `the screen refuses ${percent(blocked.length, outcomes.length)} of the refusal corpus; the goal is 98 %`);
  });

  it('refuses no innocent classroom prompt', (t) => {
    const outcomes = run(innocent);
    const falselyRefused = outcomes.filter((outcome) => outcome.result.blocked);
    const flagged = outcomes.filter(isFlagged);
    t.diagnostic(`innocent corpus: ${outcomes.length} prompts`);
    t.diagnostic(`  screen, falsely refused:        ${falselyRefused.length} (${percent(falselyRefused.length, outcomes.length)})`);
    t.diagnostic(`  screen, to the classifier:      ${flagged.length} (${percent(flagged.length, outcomes.length)}) (context terms; the classifier decides)`);
    assert.deepEqual(
      falselyRefused.map((outcome) => `${outcome.prompt.prompt} (${outcome.result.matchedTerms.join(', ')})`),
      [],
    );
  });

  it('prints the screen time per prompt', (t) => {
    const prompts = [...refused, ...innocent].map((entry) => entry.prompt);
    for (const prompt of prompts) screen.screen(prompt);
    const times: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      for (const prompt of prompts) {
        const started = process.hrtime.bigint();
        screen.screen(prompt);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    times.sort((a, b) => a - b);
    const at = (quantile: number) => (times[Math.min(times.length - 1, Math.floor(quantile * times.length))] ?? 0).toFixed(3);
    // A long prompt (the default limit is 1,000 characters) shows the cost growing with length.
    const long = 'a knight rides past a castle with a blood orange and a swordfish in the morning light '.repeat(12).slice(0, 1000);
    for (let round = 0; round < 50; round += 1) screen.screen(long);
    const longTimes: number[] = [];
    for (let round = 0; round < 1000; round += 1) {
      const started = process.hrtime.bigint();
      screen.screen(long);
      longTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    longTimes.sort((a, b) => a - b);
    t.diagnostic(`screen time per prompt (${times.length} screens): p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
    t.diagnostic(`  a 1,000-character prompt (${longTimes.length} screens): p50 ${(longTimes[500] ?? 0).toFixed(3)} ms, p99 ${(longTimes[990] ?? 0).toFixed(3)} ms`);
  });
});
