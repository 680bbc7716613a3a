import { readResource } from '../resources';
import { fillersAsSpaces, foldText, fragmentJoins, hasFillers, joinedPairs, leetReadings, letterRuns, toWords } from './textFolding';
import { buildScreenIndex, minApproximateLength, withoutLetterAt, type Indexed, type ScreenIndex } from './screenIndex';
import { parseTermList, type TermEntry } from './termList';

export { loadDefaultTerms, parseTermList } from './termList';
export { toWords } from './textFolding';

/**
 * Screens a student prompt against the disallow list before anything is stored or spent.
 *
 * Words are compared after folding case, accents, look-alike letters and symbols (textFolding.ts), in their
 * inflected forms (wordForms.ts) and, where the list says so, as parts of compounds. The prompt is also read
 * as leetspeak, with letters written apart joined, with a word split in two, three or four joined, and (for
 * the refused words) reversed and misspelt by one letter, the way children write ("zelfmoort", "sekks",
 * "dekan"). Exceptions, context terms, groups and contempt terms come from the list's format (termList.ts).
 * The screen is pure and allocation-light: every form is precomputed into hash maps, so a prompt costs a
 * few lookups per word.
 */

export interface PromptScreenOptions {
  /**
   * Also read one-letter misspellings and reversals of refused words (default true). Off for lists of
   * everyday words, such as the bullying guard's descriptors, where "crying" is one letter from "drying".
   */
  readonly approximate?: boolean;
  /**
   * Real words that are a misspelling or reversal of a refused word, and so never read as one ("sekte" is not
   * "sekse", "lepel" reversed is "lepel"). Default: shared/resources/lookalike-words.txt.
   */
  readonly lookalikes?: ReadonlySet<string>;
}

let defaultLookalikes: ReadonlySet<string> | undefined;
/** The innocent look-alikes (lookalike-words.txt), read once. */
export function loadLookalikes(): ReadonlySet<string> {
  defaultLookalikes ??= new Set(parseTermList(readResource('lookalike-words.txt')));
  return defaultLookalikes;
}

export interface ScreenResult {
  /** True when a term that is never fine for a child's picture was found: refuse at once. */
  readonly blocked: boolean;
  /** Every list term the prompt contains (refused and context terms), as written in the list. */
  readonly matchedTerms: readonly string[];
  /** Terms that depend on context (`gun`, `kill`): the classifier must judge the whole prompt. Present only when some were found. */
  readonly contextTerms?: readonly string[];
}

export interface PromptScreen {
  screen(prompt: string): ScreenResult;
  /** The lines the screen was built from. */
  readonly terms: readonly string[];
}

interface Match {
  readonly item: Indexed;
  /** Start and end in the reading's words joined by single spaces. */
  readonly start: number;
  readonly end: number;
}

/** The index and the settings a screen matches with. */
interface Matcher {
  readonly index: ScreenIndex;
  readonly approximate: boolean;
  readonly lookalikes: ReadonlySet<string>;
}

/** Shortest compound part on the other side of a listed one: "zwaardvis" has "vis", "geweldig" only "ig". */
const minOtherPartLength = 3;
/** A word split in two is only joined into listed words this long ("sw ord"); shorter joins are everyday pairs. */
const minJoinedTermLength = 5;

/** True when b is a with one letter changed, added, dropped, or two neighbours swapped. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  if (longer.length - shorter.length > 1) return false;
  let i = 0;
  while (i < shorter.length && shorter[i] === longer[i]) i += 1;
  if (shorter.length === longer.length) {
    if (shorter.slice(i + 1) === longer.slice(i + 1)) return true;
    return shorter[i] === longer[i + 1] && shorter[i + 1] === longer[i] && shorter.slice(i + 2) === longer.slice(i + 2);
  }
  return shorter.slice(i) === longer.slice(i + 1);
}

const mildness: Record<TermEntry['kind'], number> = { allow: 2, context: 1, group: 1, contempt: 1, defuse: 1, refuse: 0, target: 0 };

function silences(other: Match, match: Match): boolean {
  if (other.start > match.start || match.end > other.end) return false;
  const longer = other.end - other.start - (match.end - match.start);
  return longer > 0 || (longer === 0 && mildness[other.item.entry.kind] > mildness[match.item.entry.kind]);
}

const refusedForms = (index: ScreenIndex, word: string) => (index.wordForms.get(word) ?? []).filter((item) => item.entry.kind === 'refuse');

/** True when the entry is a single word at least this long: the joins and misspellings only read longer words. */
const atLeast = (item: Indexed, length: number) => (item.entry.words[0]?.length ?? 0) >= length;

/**
 * A refused word misspelt by one letter ("zelfmoort", "sukide"), a four-letter one with a letter doubled
 * ("sekks"), or written backwards ("dekan"), for a word the list does not know and that is not a real
 * word of its own (lookalike-words.txt).
 */
function approximateMatches(matcher: Matcher, word: string): Indexed[] {
  const { index } = matcher;
  if (!matcher.approximate || word.length < 4 || matcher.lookalikes.has(word) || index.wordForms.has(word) || /\d/.test(word)) return [];
  const found: Indexed[] = [];
  for (let at = 1; at < word.length; at += 1) {
    if (word[at] === word[at - 1]) {
      for (const item of refusedForms(index, withoutLetterAt(word, at))) found.push(item);
    }
  }
  if (word.length < minApproximateLength) return found;
  const reversed = [...word].reverse().join('');
  for (const item of refusedForms(index, reversed)) if (atLeast(item, minApproximateLength)) found.push(item);
  for (const { item } of index.withOneLetterLess.get(word) ?? []) found.push(item);
  for (let at = 0; at < word.length; at += 1) {
    const shorter = withoutLetterAt(word, at);
    for (const item of refusedForms(index, shorter)) if (atLeast(item, minApproximateLength)) found.push(item);
    for (const { item, form } of index.withOneLetterLess.get(shorter) ?? []) if (withinOneEdit(word, form)) found.push(item);
  }
  return found;
}

/** The list entries in one reading of the prompt: words in their forms, phrases, and listed parts of compounds. */
function matchReading(index: ScreenIndex, words: readonly string[]): Match[] {
  const matches: Match[] = [];
  let offset = 0;
  const offsets = words.map((word) => {
    const start = offset;
    offset += word.length + 1;
    return start;
  });
  words.forEach((word, at) => {
    const start = offsets[at] ?? 0;
    for (const item of index.wordForms.get(word) ?? []) matches.push({ item, start, end: start + word.length });
    for (const item of index.phrases.get(word) ?? []) {
      const phraseWords = item.entry.words;
      const lastIndex = at + phraseWords.length - 1;
      const last = words[lastIndex];
      if (last === undefined || !(index.lastWordForms.get(item)?.has(last) ?? false)) continue;
      if (phraseWords.slice(1, -1).every((phraseWord, k) => words[at + 1 + k] === phraseWord)) {
        matches.push({ item, start, end: (offsets[lastIndex] ?? 0) + last.length });
      }
    }
    // Only cuts where a listed part of that length could sit, so a long word costs a few slices, not one per letter.
    for (const length of index.headLengths) {
      if (word.length - length < minOtherPartLength) continue;
      for (const item of index.heads.get(word.slice(0, length)) ?? []) matches.push({ item, start, end: start + length });
    }
    for (const length of index.tailLengths) {
      if (word.length - length < minOtherPartLength) continue;
      for (const item of index.tails.get(word.slice(-length)) ?? []) matches.push({ item, start: start + word.length - length, end: start + word.length });
    }
  });
  // The longest match wins: an exception or a longer term covering a shorter one silences it. On the same
  // letters the milder kind wins ("heroines" is an exception, not a plural of "heroin").
  return matches.filter((match) => !matches.some((other) => other !== match && silences(other, match)));
}

/**
 * When context terms are refused by the screen after all, before any classifier: a context term that is
 * only there in disguise ("k1ll", "kıll", "g u n", 🔫; nobody disguises an innocent word), and a harm term
 * aimed at someone (a target word: "a gun pointed at a child") or beside a second context term ("a knife
 * fight", "een oorlog met veel doden"). Alone, a context term stays the classifier's to judge.
 */
function contextRefuses(index: ScreenIndex, prompt: string, words: readonly string[], context: readonly Indexed[], distinctTerms: number, defused: boolean): boolean {
  if (context.length === 0) return false;
  // The prompt as typed, only lower-cased: no look-alikes, signs or emoji read as letters.
  const plain = new Set(matchReading(index, prompt.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0)).map((match) => match.item));
  if (context.some((item) => !plain.has(item))) return true;
  if (!context.some((item) => item.entry.harm)) return false;
  if (distinctTerms >= 2) return true;
  // An everyday word beside the harm term makes it a tool ("a girl cutting bread with a knife"): the classifier judges it.
  if (defused) return false;
  if (words.some((word) => index.targets.has(word))) return true;
  const text = ` ${words.join(' ')} `;
  return index.targetPhrases.some((phrase) => text.includes(phrase));
}

/** Every list entry one folded reading of the prompt holds, in all the ways a child may have written it. */
function findInWords(matcher: Matcher, words: readonly string[], found: Indexed[]): void {
  const { index } = matcher;
  for (const match of matchReading(index, words)) found.push(match.item);
  for (const pair of joinedPairs(words)) {
    const items = index.wordForms.get(pair);
    // A pair that spells an exception ("sword fish") is that exception.
    if (!items || items.some((item) => item.entry.kind === 'allow')) continue;
    for (const item of items) if (atLeast(item, minJoinedTermLength)) found.push(item);
  }
  for (const join of fragmentJoins(words)) {
    for (const item of refusedForms(index, join)) if (atLeast(item, minJoinedTermLength)) found.push(item);
  }
  for (const run of letterRuns(words)) {
    for (const item of index.singleWords) if (item.entry.kind !== 'allow' && item.entry.kind !== 'defuse' && run.includes(item.entry.words[0] ?? '\u0000')) found.push(item);
  }
  if (!matcher.approximate) return;
  // Only words nothing else matched: a known word is never read as a misspelling of another.
  const matched = new Set(found.map((item) => item.entry.words.join(' ')));
  for (const word of words) if (!matched.has(word)) for (const item of approximateMatches(matcher, word)) found.push(item);
}

/** Every entry any reading of the prompt holds: as folded, with fillers as spaces, and as leetspeak. */
function findAll(matcher: Matcher, prompt: string, folded: string, words: readonly string[]): Indexed[] {
  const found: Indexed[] = [];
  findInWords(matcher, words, found);
  // A filler may stand for a space ("a\u3164naked\u3164girl") as well as sit inside a word ("na\u3164ked").
  if (hasFillers(prompt)) findInWords(matcher, toWords(fillersAsSpaces(prompt)), found);
  for (const reading of leetReadings(folded)) {
    for (const match of matchReading(matcher.index, reading)) found.push(match.item);
    for (const run of letterRuns(reading)) {
      for (const item of matcher.index.singleWords) if (item.entry.kind === 'refuse' && run.includes(item.entry.words[0] ?? '\u0000')) found.push(item);
    }
  }
  return [...new Set(found)].sort((a, b) => a.order - b.order);
}

/** The verdict on what was found: refused words, hate (a group beside contempt), and context terms that refuse. */
function verdict(index: ScreenIndex, prompt: string, words: readonly string[], all: readonly Indexed[]): ScreenResult {
  const groups = all.filter((item) => item.entry.kind === 'group');
  const contempt = all.filter((item) => item.entry.kind === 'contempt');
  const hateful = groups.length > 0 && contempt.length > 0;
  const defused = all.some((item) => item.entry.kind === 'defuse');
  // Groups, contempt and defusing words are only reported when they are the reason.
  const listed = all.filter((item) => item.entry.kind === 'refuse' || item.entry.kind === 'context' || (hateful && (item.entry.kind === 'group' || item.entry.kind === 'contempt')));
  const matchedTerms = [...new Set(listed.map((item) => item.entry.term))];
  const context = listed.filter((item) => item.entry.kind === 'context');
  const contextTerms = [...new Set(context.map((item) => item.entry.term))];
  const contextRefused = contextRefuses(index, prompt, words, context, contextTerms.length, defused);
  const blocked = hateful || contextRefused || listed.some((item) => item.entry.kind === 'refuse');
  return contextTerms.length > 0 && !contextRefused ? { blocked, matchedTerms, contextTerms } : { blocked, matchedTerms };
}

export function createPromptScreen(terms: readonly string[], options: PromptScreenOptions = {}): PromptScreen {
  const approximate = options.approximate ?? true;
  const matcher: Matcher = {
    index: buildScreenIndex(terms, approximate),
    approximate,
    lookalikes: approximate ? (options.lookalikes ?? loadLookalikes()) : new Set<string>(),
  };
  return {
    terms,
    screen(prompt: string): ScreenResult {
      const folded = foldText(prompt);
      const words = folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
      return verdict(matcher.index, prompt, words, findAll(matcher, prompt, folded, words));
    },
  };
}
