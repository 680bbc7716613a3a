import { foldText, joinedPairs, leetReadings, letterRuns } from './textFolding';
import { parseTermLine, type TermEntry } from './termList';
import { compoundHeads, inflectedForms } from './wordForms';

export { loadDefaultTerms, parseTermList } from './termList';
export { toWords } from './textFolding';

/**
 * Screens a student prompt against the disallow list before anything is stored or spent.
 *
 * Words are compared after folding case, accents, look-alike letters and symbols (textFolding.ts), in their
 * inflected forms (wordForms.ts) and, where the list says so, as parts of compounds. The prompt is also read
 * as leetspeak, with letters written apart joined, and with a word split in two joined. Exceptions and
 * context terms come from the list's format (termList.ts). The screen is pure and allocation-light: every
 * form is precomputed into hash maps, so a prompt costs a lookup or two per word.
 */

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

interface Indexed {
  readonly entry: TermEntry;
  /** Order in the list, so results come out in list order. */
  readonly order: number;
}

interface Match {
  readonly item: Indexed;
  /** Start and end in the reading's words joined by single spaces. */
  readonly start: number;
  readonly end: number;
}

/** Shortest compound part on the other side of a listed one: "zwaardvis" has "vis", "geweldig" only "ig". */
const minOtherPartLength = 3;
/** A word split in two is only joined into listed words this long ("sw ord"); shorter joins are everyday pairs. */
const minJoinedTermLength = 5;

function addTo(map: Map<string, Indexed[]>, key: string, item: Indexed): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(item)) list.push(item);
  } else map.set(key, [item]);
}

const mildness: Record<TermEntry['kind'], number> = { allow: 2, context: 1, refuse: 0, target: 0 };

function silences(other: Match, match: Match): boolean {
  if (other.start > match.start || match.end > other.end) return false;
  const longer = other.end - other.start - (match.end - match.start);
  return longer > 0 || (longer === 0 && mildness[other.item.entry.kind] > mildness[match.item.entry.kind]);
}

export function createPromptScreen(terms: readonly string[]): PromptScreen {
  /** Single-word entries by each of their forms. */
  const wordForms = new Map<string, Indexed[]>();
  /** Phrases by each form of their first word. */
  const phrases = new Map<string, Indexed[]>();
  /** Forms of each phrase's last word (middle words must match exactly). */
  const lastWordForms = new Map<Indexed, Set<string>>();
  const heads = new Map<string, Indexed[]>();
  const tails = new Map<string, Indexed[]>();
  const singleWords: Indexed[] = [];
  /** Targets (`@ child`): exact folded words, plurals listed, so "kind" (Dutch child) has no English "kindly". */
  const targets = new Set<string>();
  /** Targets of several words (`@ een kind`: "kind" alone is also English), padded for a whole-word search. */
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

  const headLengths = [...new Set([...heads.keys()].map((head) => head.length))];
  const tailLengths = [...new Set([...tails.keys()].map((tail) => tail.length))];

  function matchReading(words: readonly string[]): Match[] {
    const matches: Match[] = [];
    let offset = 0;
    const offsets = words.map((word) => {
      const start = offset;
      offset += word.length + 1;
      return start;
    });
    words.forEach((word, index) => {
      const start = offsets[index] ?? 0;
      for (const item of wordForms.get(word) ?? []) matches.push({ item, start, end: start + word.length });
      for (const item of phrases.get(word) ?? []) {
        const phraseWords = item.entry.words;
        const lastIndex = index + phraseWords.length - 1;
        const last = words[lastIndex];
        if (last === undefined || !(lastWordForms.get(item)?.has(last) ?? false)) continue;
        if (phraseWords.slice(1, -1).every((phraseWord, k) => words[index + 1 + k] === phraseWord)) {
          matches.push({ item, start, end: (offsets[lastIndex] ?? 0) + last.length });
        }
      }
      // Only cuts where a listed part of that length could sit, so a long word costs a few slices, not one per letter.
      for (const length of headLengths) {
        if (word.length - length < minOtherPartLength) continue;
        for (const item of heads.get(word.slice(0, length)) ?? []) matches.push({ item, start, end: start + length });
      }
      for (const length of tailLengths) {
        if (word.length - length < minOtherPartLength) continue;
        for (const item of tails.get(word.slice(-length)) ?? []) matches.push({ item, start: start + word.length - length, end: start + word.length });
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
  function contextRefuses(prompt: string, words: readonly string[], context: readonly Indexed[], distinctTerms: number): boolean {
    if (context.length === 0) return false;
    // The prompt as typed, only lower-cased: no look-alikes, signs or emoji read as letters.
    const plain = new Set(matchReading(prompt.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0)).map((match) => match.item));
    if (context.some((item) => !plain.has(item))) return true;
    if (!context.some((item) => item.entry.harm)) return false;
    if (distinctTerms >= 2 || words.some((word) => targets.has(word))) return true;
    const text = ` ${words.join(' ')} `;
    return targetPhrases.some((phrase) => text.includes(phrase));
  }

  return {
    terms,
    screen(prompt: string): ScreenResult {
      const folded = foldText(prompt);
      const words = folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
      const found: Indexed[] = [];
      for (const reading of [words, ...leetReadings(folded)]) {
        for (const match of matchReading(reading)) found.push(match.item);
      }
      for (const pair of joinedPairs(words)) {
        const items = wordForms.get(pair);
        // A pair that spells an exception ("sword fish") is that exception.
        if (!items || items.some((item) => item.entry.kind === 'allow')) continue;
        for (const item of items) if ((item.entry.words[0]?.length ?? 0) >= minJoinedTermLength) found.push(item);
      }
      for (const run of letterRuns(words)) {
        for (const item of singleWords) if (item.entry.kind !== 'allow' && run.includes(item.entry.words[0] ?? '\u0000')) found.push(item);
      }
      const listed = [...new Set(found)].filter((item) => item.entry.kind !== 'allow').sort((a, b) => a.order - b.order);
      const matchedTerms = [...new Set(listed.map((item) => item.entry.term))];
      const context = listed.filter((item) => item.entry.kind === 'context');
      const contextTerms = [...new Set(context.map((item) => item.entry.term))];
      const contextRefused = contextRefuses(prompt, words, context, contextTerms.length);
      const blocked = contextRefused || listed.some((item) => item.entry.kind === 'refuse');
      return contextTerms.length > 0 && !contextRefused ? { blocked, matchedTerms, contextTerms } : { blocked, matchedTerms };
    },
  };
}
