import { readResource } from '../resources';
import { foldText, joinedPairs, leetReadings, letterRuns, toWords } from './textFolding';
import { compoundHeads, inflectedForms } from './wordForms';

/**
 * Safeguarding: recognising a prompt in which a child may be telling us they are thinking of hurting or
 * killing themselves ("me with cuts on my wrists", "ik wil niet meer leven"). Such a prompt is not only
 * refused: it is a signal a teacher or the school's care coordinator must see today. With a first-person
 * marker anywhere in the prompt ("me", "ik", "a drawing of me") the signal is urgent.
 *
 * The lexicon is data (shared/resources/self-harm-signals.txt; its header explains the format) and is read
 * the way the prompt screen reads its list: folded (case, accents, look-alike letters), as leetspeak, with
 * letters written apart and a word split in two joined, and with each listed word's inflections. The
 * detector is pure, so every entry is tested on plain strings (test/shared/safety/safeguarding.test.ts).
 */

export interface SafeguardingSignal {
  /** The prompt reads as self-harm or suicide: refuse it with care (innererror SelfHarmSignal). */
  readonly signal: boolean;
  /** A signal, and the child writes about themselves: tell the school at once. */
  readonly urgent: boolean;
  /** The lexicon entries found, as written in the file (for tests and the log; never shown to the child). */
  readonly matched: readonly string[];
}

export interface SafeguardingDetector {
  detect(prompt: string): SafeguardingSignal;
  /** Whether the prompt has a first-person marker: makes a classifier's selfHarm verdict urgent too. */
  isFirstPerson(prompt: string): boolean;
}

type EntryKind = 'signal' | 'abbreviation' | 'means' | 'allow';

export interface LexiconEntry {
  readonly line: string;
  readonly kind: EntryKind;
  /** As written, without its marker, asterisk or group. */
  readonly term: string;
  readonly words: readonly string[];
  readonly startsCompounds: boolean;
  /** For a means entry: the group whose words must be near. */
  readonly group?: string;
}

export interface Lexicon {
  readonly entries: readonly LexiconEntry[];
  /** Groups of companion words (`[body] wrist, arm`), and `first-person`, each a list of folded word sequences. */
  readonly groups: ReadonlyMap<string, readonly (readonly string[])[]>;
}

/** The group of first-person markers. */
export const firstPersonGroup = 'first-person';
/** How far (in words) a means word may be from its companion: "cuts on my wrists", "sneetjes in mijn armen". */
const companionWindow = 4;
/** A word written apart or split in two is only joined into listed words this long ("s u i c i d e"). */
const minJoinedLength = 5;

/** Parses the lexicon's text; throws on a line it does not understand, so a typo fails the tests, not a child. */
export function parseLexicon(text: string): Lexicon {
  const entries: LexiconEntry[] = [];
  const groups = new Map<string, (readonly string[])[]>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const group = /^\[([a-z-]+)\]\s+(.+)$/.exec(line);
    if (group) {
      const [, name = '', list = ''] = group;
      groups.set(name, [...(groups.get(name) ?? []), ...list.split(',').map((item) => toWords(item)).filter((words) => words.length > 0)]);
      continue;
    }
    let kind: EntryKind = 'signal';
    let rest = line;
    let companion: string | undefined;
    if (line.startsWith('=')) [kind, rest] = ['allow', line.slice(1)];
    else if (line.startsWith('%')) [kind, rest] = ['abbreviation', line.slice(1)];
    else if (line.startsWith('~')) {
      const means = /^~\s*(.+?)\s*>\s*([a-z-]+)$/.exec(line);
      if (!means) throw new Error(`self-harm-signals.txt: a means line is "~ word > group": ${line}`);
      kind = 'means';
      rest = means[1] ?? '';
      companion = means[2];
    }
    rest = rest.trim();
    const startsCompounds = rest.endsWith('*');
    const term = rest.replace(/\*+$/, '').trim();
    const words = toWords(term);
    if (words.length === 0) throw new Error(`self-harm-signals.txt: no words in line: ${line}`);
    entries.push({ line, kind, term, words, startsCompounds: startsCompounds && words.length === 1, ...(companion !== undefined ? { group: companion } : {}) });
  }
  for (const entry of entries) {
    if (entry.group !== undefined && !groups.has(entry.group)) throw new Error(`self-harm-signals.txt: unknown group [${entry.group}] in: ${entry.line}`);
  }
  if (!groups.has(firstPersonGroup)) throw new Error(`self-harm-signals.txt: no [${firstPersonGroup}] group`);
  return { entries, groups };
}

interface Match {
  readonly entry: LexiconEntry;
  /** First and last word index in the reading. */
  readonly start: number;
  readonly end: number;
}

/** Whether `phrase` occurs in `words` at `index`, its first and last word in any inflected form. */
function phraseAt(words: readonly string[], index: number, phrase: readonly string[], first: ReadonlySet<string>, last: ReadonlySet<string>): boolean {
  if (!first.has(words[index] ?? '')) return false;
  if (phrase.length === 1) return true;
  const lastIndex = index + phrase.length - 1;
  if (!last.has(words[lastIndex] ?? '')) return false;
  return phrase.slice(1, -1).every((word, k) => words[index + 1 + k] === word);
}

function exactAt(words: readonly string[], index: number, phrase: readonly string[]): boolean {
  return phrase.every((word, k) => words[index + k] === word);
}

export function createSafeguardingDetector(lexicon: Lexicon): SafeguardingDetector {
  // Every form precomputed once: a prompt costs a few set lookups per word.
  const indexed = lexicon.entries.map((entry) => ({
    entry,
    first: new Set(inflectedForms(entry.words[0] ?? '')),
    last: new Set(inflectedForms(entry.words.at(-1) ?? '')),
    heads: entry.startsCompounds ? compoundHeads(entry.words[0] ?? '') : [],
  }));
  const groupForms = new Map([...lexicon.groups].filter(([name]) => name !== firstPersonGroup).map(([name, items]) => [name, new Set(items.flatMap((words) => inflectedForms(words.join(''))))]));
  const firstPerson = lexicon.groups.get(firstPersonGroup) ?? [];
  const singleWordSignals = indexed.filter(({ entry }) => entry.kind === 'signal' && entry.words.length === 1 && (entry.words[0]?.length ?? 0) >= minJoinedLength);

  function matchReading(words: readonly string[], asTyped: boolean): Match[] {
    const matches: Match[] = [];
    words.forEach((word, index) => {
      for (const { entry, first, last, heads } of indexed) {
        // An abbreviation is only read as typed ("kms", not a leet reading of "100 kms"), and not after a number.
        if (entry.kind === 'abbreviation' && (!asTyped || /^\d/.test(words[index - 1] ?? ''))) continue;
        if (phraseAt(words, index, entry.words, first, last)) matches.push({ entry, start: index, end: index + entry.words.length - 1 });
        else if (heads.some((head) => word.startsWith(head) && word.length - head.length >= 3)) matches.push({ entry, start: index, end: index });
      }
    });
    const allowed = matches.filter((match) => match.entry.kind === 'allow');
    return matches.filter((match) => {
      if (match.entry.kind === 'allow') return false;
      // An innocent phrase around the match ("suicide squad", "cute" around "cut") silences it.
      if (allowed.some((allow) => allow.start <= match.start && match.end <= allow.end)) return false;
      if (match.entry.kind !== 'means') return true;
      const companions = groupForms.get(match.entry.group ?? '') ?? new Set<string>();
      return words.some((other, k) => (k < match.start || k > match.end) && k >= match.start - companionWindow && k <= match.end + companionWindow && companions.has(other));
    });
  }

  function readings(prompt: string): { words: string[]; all: string[][] } {
    const folded = foldText(prompt);
    const words = folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
    return { words, all: [words, ...leetReadings(folded)] };
  }

  function hasFirstPerson(all: readonly (readonly string[])[]): boolean {
    return all.some((words) =>
      words.some((_word, index) =>
        firstPerson.some((marker) => {
          if (!exactAt(words, index, marker)) return false;
          // The "i" of letters written apart ("s u i c i d e") is a letter, not the child speaking.
          const letterBeside = (words[index - 1]?.length ?? 0) === 1 || (words[index + marker.length]?.length ?? 0) === 1;
          return !(marker.length === 1 && marker[0]?.length === 1 && letterBeside);
        }),
      ),
    );
  }

  return {
    detect(prompt) {
      const { words, all } = readings(prompt);
      const found = new Set<LexiconEntry>();
      all.forEach((reading, index) => {
        for (const match of matchReading(reading, index === 0)) found.add(match.entry);
      });
      // Disguises the readings above do not undo: "s u i c i d e", "zelf moord".
      const runs = letterRuns(words);
      const pairs = joinedPairs(words);
      for (const { entry, first } of singleWordSignals) {
        if (found.has(entry)) continue;
        // A run may start with a real one-letter word ("a s u i c i d e"): the term anywhere inside it.
        // A pair only as a whole form, so "suicide squad" (an exception) is not read as a compound of "suicide".
        if (runs.some((run) => run.includes(entry.words[0] ?? '\u0000')) || pairs.some((pair) => first.has(pair))) found.add(entry);
      }
      const matched = lexicon.entries.filter((entry) => found.has(entry)).map((entry) => entry.line);
      const signal = matched.length > 0;
      return { signal, urgent: signal && hasFirstPerson(all), matched };
    },
    isFirstPerson(prompt) {
      return hasFirstPerson(readings(prompt).all);
    },
  };
}

let defaultDetector: SafeguardingDetector | undefined;

/** The lexicon shipped with the service (shared/resources/self-harm-signals.txt). */
export function loadSafeguardingLexicon(): Lexicon {
  return parseLexicon(readResource('self-harm-signals.txt'));
}

/** The detector over the shipped lexicon, built on first use. No school can turn it off or shrink it. */
export function safeguardingDetector(): SafeguardingDetector {
  defaultDetector ??= createSafeguardingDetector(loadSafeguardingLexicon());
  return defaultDetector;
}
