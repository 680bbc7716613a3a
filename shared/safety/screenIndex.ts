import { parseTermLine, type TermEntry } from './termList';
import { compoundHeads, inflectedForms } from './wordForms';

/**
 * The prompt screen's lookup tables, built once from the term list: every form of every entry precomputed
 * into hash maps, so screening a prompt (promptScreen.ts) costs a few lookups per word.
 */

export interface Indexed {
  readonly entry: TermEntry;
  /** Order in the list, so results come out in list order. */
  readonly order: number;
}

export interface ScreenIndex {
  /** Single-word entries by each of their forms. */
  readonly wordForms: ReadonlyMap<string, Indexed[]>;
  /** Phrases by each form of their first word. */
  readonly phrases: ReadonlyMap<string, Indexed[]>;
  /** Forms of each phrase's last word (middle words must match exactly). */
  readonly lastWordForms: ReadonlyMap<Indexed, ReadonlySet<string>>;
  /** Entries that start compounds, by each of their compound heads. */
  readonly heads: ReadonlyMap<string, Indexed[]>;
  /** Entries that end compounds, by each of their forms. */
  readonly tails: ReadonlyMap<string, Indexed[]>;
  /** The lengths of heads and tails: the only cuts worth trying in a long word. */
  readonly headLengths: readonly number[];
  readonly tailLengths: readonly number[];
  readonly singleWords: readonly Indexed[];
  /** Targets (`@ child`): exact folded words, plurals listed, so "kind" (Dutch child) has no English "kindly". */
  readonly targets: ReadonlySet<string>;
  /** Targets of several words (`@ een kind`: "kind" alone is also English), padded for a whole-word search. */
  readonly targetPhrases: readonly string[];
  /** Each form of a refused word of five letters or more with one letter dropped, for one-letter misspellings. */
  readonly withOneLetterLess: ReadonlyMap<string, ReadonlyArray<{ readonly item: Indexed; readonly form: string }>>;
}

/** Misspellings and reversals are read only for refused words this long: shorter ones have too many neighbours. */
export const minApproximateLength = 5;

export const withoutLetterAt = (word: string, index: number) => word.slice(0, index) + word.slice(index + 1);

function addTo(map: Map<string, Indexed[]>, key: string, item: Indexed): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(item)) list.push(item);
  } else map.set(key, [item]);
}

/** `approximate`: also index the refused words' one-letter misspellings (see PromptScreenOptions). */
export function buildScreenIndex(terms: readonly string[], approximate: boolean): ScreenIndex {
  const wordForms = new Map<string, Indexed[]>();
  const phrases = new Map<string, Indexed[]>();
  const lastWordForms = new Map<Indexed, Set<string>>();
  const heads = new Map<string, Indexed[]>();
  const tails = new Map<string, Indexed[]>();
  const singleWords: Indexed[] = [];
  const targets = new Set<string>();
  const targetPhrases: string[] = [];

  terms.forEach((line, order) => {
    const entry = parseTermLine(line);
    if (!entry) return;
    if (entry.kind === 'target') {
      if (entry.words.length === 1) targets.add(entry.words.join(' '));
      else targetPhrases.push(` ${entry.words.join(' ')} `);
      return;
    }
    const item: Indexed = { entry, order };
    const [first, ...rest] = entry.words;
    if (first === undefined) return;
    if (rest.length > 0) {
      for (const form of inflectedForms(first)) addTo(phrases, form, item);
      lastWordForms.set(item, new Set(inflectedForms(rest.at(-1) ?? '')));
      return;
    }
    singleWords.push(item);
    for (const form of inflectedForms(first)) addTo(wordForms, form, item);
    if (entry.startsCompounds) for (const head of compoundHeads(first)) addTo(heads, head, item);
    if (entry.endsCompounds) for (const form of inflectedForms(first)) addTo(tails, form, item);
  });

  return {
    wordForms,
    phrases,
    lastWordForms,
    heads,
    tails,
    headLengths: [...new Set([...heads.keys()].map((head) => head.length))],
    tailLengths: [...new Set([...tails.keys()].map((tail) => tail.length))],
    singleWords,
    targets,
    targetPhrases,
    withOneLetterLess: approximate ? misspellingIndex(singleWords) : new Map(),
  };
}

/** The refused words' forms with each letter in turn dropped: a word one letter off shares a key with one of them. */
function misspellingIndex(singleWords: readonly Indexed[]): Map<string, Array<{ readonly item: Indexed; readonly form: string }>> {
  const withOneLetterLess = new Map<string, Array<{ readonly item: Indexed; readonly form: string }>>();
  for (const item of singleWords) {
    const word = item.entry.words[0] ?? '';
    if (item.entry.kind !== 'refuse' || word.length < minApproximateLength) continue;
    // The word and its short endings: a misspelt long form ("bloedness" from English -ness on a Dutch word) reads real words.
    for (const form of inflectedForms(word).filter((each) => each.length <= word.length + 2)) {
      for (let index = 0; index < form.length; index += 1) {
        const key = withoutLetterAt(form, index);
        const list = withOneLetterLess.get(key);
        if (list) list.push({ item, form });
        else withOneLetterLess.set(key, [{ item, form }]);
      }
    }
  }
  return withOneLetterLess;
}
