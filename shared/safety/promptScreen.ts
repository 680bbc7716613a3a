import { readResource } from '../resources';

/**
 * Screens a student prompt against the disallow list before anything is stored or spent.
 * Matching is on whole words after folding case and accents, so "Épée" and "epee" are the same word
 * and "swordfish" or "bloodhound" are not "sword" or "blood". A term also matches its simple plural
 * (English -s/-es, Dutch -en/-n), so the list holds base forms.
 */

const pluralSuffixes = ['', 's', 'es', 'en', 'n'];

export interface ScreenResult {
  readonly blocked: boolean;
  /** The disallow-list terms the prompt contains, as written in the list. */
  readonly matchedTerms: readonly string[];
}

export interface PromptScreen {
  screen(prompt: string): ScreenResult;
  readonly terms: readonly string[];
}

/** Cyrillic and Greek letters that look like Latin ones, as used to slip a word past a filter. */
const lookalikes: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ɡ: 'g', α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o',
  ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
};
/** Digits and signs read as letters ("bl00d", "$word", "k1ll"); 1 and | can be i or l. */
const leet: Record<string, string> = { '0': 'o', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '!': 'i', '€': 'e' };

/** Folds width, case, accents, invisible characters and look-alike letters. */
function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/\p{Cf}+/gu, '')
    .toLowerCase()
    .replace(/./gu, (c) => lookalikes[c] ?? c);
}

/** Folds case and accents and splits into words of letters and digits. */
export function toWords(text: string): string[] {
  return foldText(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/** The same text read as leetspeak, once with 1 and | as i and once as l. */
function leetReadings(text: string): string[][] {
  const folded = foldText(text);
  if (!/[0-9@$!€|]/.test(folded)) return [];
  return ['i', 'l'].map((one) =>
    folded
      .split(/\s+/)
      .map((chunk) => chunk.replace(/[0-9@$!€|]/g, (c) => (c === '1' || c === '|' ? one : (leet[c] ?? c))).replace(/[^\p{L}]+/gu, ''))
      .filter((word) => word.length > 0),
  );
}

/**
 * Letters written apart ("s w o r d", "s.w.o.r.d") joined into the run they spell. A run can start with a
 * real one-letter word ("a s w o r d"), so terms are looked for anywhere inside it.
 */
function joinedLetters(words: string[]): string[] {
  const joined: string[] = [];
  let run: string[] = [];
  for (const word of [...words, '']) {
    if (word.length === 1) {
      run.push(word);
      continue;
    }
    if (run.length >= 3) joined.push(run.join(''));
    run = [];
  }
  return joined;
}

function parseTermList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

export function loadDefaultTerms(): string[] {
  return parseTermList(readResource('disallow-list.txt'));
}

export function createPromptScreen(terms: readonly string[]): PromptScreen {
  const compiled = terms
    .map((term) => ({ term, words: toWords(term) }))
    .filter((entry) => entry.words.length > 0);

  function matchesAt(promptWords: string[], start: number, termWords: string[]): boolean {
    return termWords.every((termWord, offset) => {
      const word = promptWords[start + offset];
      if (word === undefined) return false;
      const isLast = offset === termWords.length - 1;
      return isLast ? pluralSuffixes.some((suffix) => word === termWord + suffix) : word === termWord;
    });
  }

  return {
    terms,
    screen(prompt: string): ScreenResult {
      const words = toWords(prompt);
      const readings = [words, ...leetReadings(prompt)];
      const runs = joinedLetters(words);
      const matchedTerms = compiled
        .filter(
          ({ words: termWords }) =>
            readings.some((reading) => reading.some((_, index) => matchesAt(reading, index, termWords))) ||
            runs.some((run) => run.includes(termWords.join(''))),
        )
        .map(({ term }) => term);
      return { blocked: matchedTerms.length > 0, matchedTerms };
    },
  };
}
