import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as snowball from 'snowball-stemmers';
import { createPromptScreen, loadDefaultTerms, toWords } from '../shared/safety/promptScreen';
import { parseTermLine } from '../shared/safety/termList';
import { inflectedForms } from '../shared/safety/wordForms';
import { projectDir } from '../local/harness/stack';

/**
 * `npm run bench:screen-words`: the measurements behind the prompt screen's choices (docs/safety.md, The prompt
 * screen). It compares two ways of matching a listed word's inflections — Snowball's English and Dutch
 * stemmers, and the suffix rules of shared/safety/wordForms.ts — on the red-team corpora and on whole word
 * lists, and screens every word of the word lists to show what the compounds and exceptions let through.
 *
 * Word lists: Debian's `wbritish-large` and `wdutch` (apt-get install wbritish-large wdutch), or any files
 * named in SCREEN_WORD_LISTS (comma-separated). Without them only the corpus figures are printed.
 */

const wordLists = (process.env['SCREEN_WORD_LISTS'] ?? '/usr/share/dict/british-english-large,/usr/share/dict/dutch')
  .split(',')
  .filter((file) => existsSync(file));

const english = snowball.newStemmer('english');
const dutch = snowball.newStemmer('dutch');
const stems = (word: string) => [`en:${english.stem(word)}`, `nl:${dutch.stem(word)}`];

const lines = loadDefaultTerms();
const entries = lines.map(parseTermLine).filter((entry) => entry !== undefined);
const listedWords = entries.filter((entry) => entry.kind !== 'allow' && entry.words.length === 1).map((entry) => entry.words[0] ?? '');
const byStem = new Map<string, string>();
for (const word of listedWords) for (const stem of stems(word)) byStem.set(stem, word);
const byForm = new Map<string, string>();
for (const word of listedWords) for (const form of inflectedForms(word)) byForm.set(form, word);

const snowballMatch = (word: string) => stems(word).map((stem) => byStem.get(stem)).find((term) => term !== undefined);
const suffixMatch = (word: string) => byForm.get(word);

function readCorpus(name: string): string[] {
  return readFileSync(path.join(projectDir, 'test', 'shared', 'safety', 'corpus', `${name}.txt`), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

function corpusFigures(name: string): void {
  const prompts = readCorpus(name);
  for (const [label, match] of [['snowball', snowballMatch], ['suffixes', suffixMatch]] as const) {
    const hits = prompts.filter((prompt) => toWords(prompt).some((word) => match(word) !== undefined));
    console.log(`  ${name}.txt, ${label}: ${hits.length} of ${prompts.length} prompts have a word matching a listed word (no exceptions, no disguises)`);
  }
}

console.log(`${listedWords.length} single listed words (refused and context terms)`);
corpusFigures('refused');
corpusFigures('innocent');

const screen = createPromptScreen(lines);
for (const file of wordLists) {
  const words = [...new Set(readFileSync(file, 'utf8').split(/\r?\n/).map((line) => toWords(line).join('')).filter((word) => word.length > 0))];
  const snowballOnly: string[] = [];
  const suffixOnly: string[] = [];
  let both = 0;
  for (const word of words) {
    const bySnowball = snowballMatch(word);
    const bySuffix = suffixMatch(word);
    if (bySnowball !== undefined && bySuffix !== undefined) both += 1;
    else if (bySnowball !== undefined) snowballOnly.push(`${word}→${bySnowball}`);
    else if (bySuffix !== undefined) suffixOnly.push(`${word}→${bySuffix}`);
  }
  const refused = words.filter((word) => screen.screen(word).blocked);
  const flagged = words.filter((word) => !screen.screen(word).blocked && screen.screen(word).contextTerms !== undefined);
  const started = process.hrtime.bigint();
  for (const word of words) screen.screen(word);
  const perWordInUs = Number(process.hrtime.bigint() - started) / 1e3 / words.length;
  console.log(`\n${file}: ${words.length} words`);
  console.log(`  matched by both: ${both}`);
  console.log(`  only by snowball (${snowballOnly.length}): ${snowballOnly.join(' ')}`);
  console.log(`  only by suffixes (${suffixOnly.length}): ${suffixOnly.join(' ')}`);
  console.log(`  flagged with a context term as a one-word prompt: ${flagged.length}`);
  console.log(`  refused by the screen as a one-word prompt (${refused.length}, ${perWordInUs.toFixed(1)} µs a word): ${refused.join(' ')}`);
}
