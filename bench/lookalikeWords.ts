import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPromptScreen, loadDefaultTerms, toWords } from '../shared/safety/promptScreen';
import { projectDir } from '../local/harness/stack';

/**
 * `node dist/bench/lookalikeWords.js`: derives shared/resources/lookalike-words.txt, the real words the
 * screen must never read as a misspelling or reversal of a refused word ("violet" is not "violent", "bloem"
 * is not "bloed", "naast" is not "naakt"). It screens every word of Debian's `wbritish-large` and `wdutch`
 * (apt-get install wbritish-large wdutch; or the files in SCREEN_WORD_LISTS) once with approximate reading
 * and once without, and writes each word only the approximate reading refuses. The service never reads the
 * word lists; run this again after changing the disallow list, and review the diff.
 */

const wordLists = (process.env['SCREEN_WORD_LISTS'] ?? '/usr/share/dict/british-english-large,/usr/share/dict/dutch').split(',');
const missing = wordLists.filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(`Missing word lists: ${missing.join(', ')} (apt-get install wbritish-large wdutch)`);
  process.exit(1);
}

const terms = loadDefaultTerms();
const exact = createPromptScreen(terms, { approximate: false });
const loose = createPromptScreen(terms, { approximate: true, lookalikes: new Set() });
const words = new Set<string>();
for (const file of wordLists) {
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const folded = toWords(line);
    // One-word entries only: "dood gewaand" is two words, each screened on its own line if listed.
    if (folded.length === 1 && folded[0] !== undefined && folded[0].length >= 4) words.add(folded[0]);
  }
}
/** A word that is the refused word it reads as plus up to three letters is a form the suffix rules miss (molesteer, vaginale): left refused. */
const ownForm = (word: string, term: string) => {
  const folded = toWords(term).join(' ');
  return word.startsWith(folded) && word.length <= folded.length + 3;
};
const readAsOther = [...words].filter((word) => loose.screen(word).blocked && !exact.screen(word).blocked);
const ownForms = readAsOther.filter((word) => loose.screen(word).matchedTerms.some((term) => ownForm(word, term)));
const lookalikes = readAsOther.filter((word) => !ownForms.includes(word)).sort();
console.log(`Left refused as forms of their own refused word (review): ${ownForms.sort().join(' ')}`);
const header = [
  '# Real words that are one letter from a refused word, or one written backwards, so the prompt screen never',
  '# reads them as a misspelling or reversal (shared/safety/promptScreen.ts, PromptScreenOptions.lookalikes).',
  "# Derived by bench/lookalikeWords.ts from Debian's wbritish-large and wdutch word lists and the disallow list;",
  '# do not edit by hand: change the list, run the script, review the diff. One folded word a line.',
  '',
];
writeFileSync(path.join(projectDir, 'shared', 'resources', 'lookalike-words.txt'), `${[...header, ...lookalikes].join('\n')}\n`);
console.log(`${words.size} words screened; ${lookalikes.length} look-alikes written`);
