import { readResource } from './resources';

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

/** Folds case and accents and splits into words of letters and digits. */
export function toWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

export function parseTermList(text: string): string[] {
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
      const promptWords = toWords(prompt);
      const matchedTerms = compiled
        .filter(({ words }) => promptWords.some((_, index) => matchesAt(promptWords, index, words)))
        .map(({ term }) => term);
      return { blocked: matchedTerms.length > 0, matchedTerms };
    },
  };
}
