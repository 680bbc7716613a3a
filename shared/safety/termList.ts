import { readResource } from '../resources';
import { toWords } from './textFolding';

/**
 * The disallow list's format (shared/resources/disallow-list.txt, PROMPT_BLOCKED_TERMS_EXTRA and a tenant's
 * `safety.terms.add` all use it), one entry a line:
 *
 *   sword                  refused at once, with its inflections (swords, zwaarden)
 *   ? war                  a context term: not refused, the prompt goes to the classifier as a whole
 *   ! gun                  a harm term: a context term that is refused when it is aimed at someone, i.e. with
 *                          a target word or with a second context term ("a gun pointed at a child", "a knife
 *                          fight"); alone ("a gun dog", "a butter knife") it goes to the classifier
 *   @ child                a target: a person or a place full of them (exact words; list plurals too)
 *   = blood orange         an exception: an innocent word or phrase, read as a whole before matching
 *   zwaard*                also the first part of a compound (zwaardgevecht); `*moord`: the last (kindermoord)
 *   adult content          several words: that phrase (its last word inflected)
 *   % immigrants           a group of people (by origin, faith, colour, orientation, disability): refused only
 *                          together with a contempt term ("immigrants are rats"); alone ("immigrants arriving
 *                          by boat in 1950") it is a history lesson
 *   ~ rats                 a contempt term: refused only together with a group (alone: "a rat in a sewer")
 *   & bread                an everyday word that makes a harm term a tool: with it, a harm term beside a
 *                          target is left to the classifier ("a girl cutting bread with a knife")
 *
 * Blank lines and lines starting with # are ignored. Where entries overlap in a prompt the longest wins, so
 * "blood orange" (an exception) outweighs "blood", and "lijken" (to look alike; a context term) outweighs "lijk".
 */

export type TermKind = 'refuse' | 'context' | 'allow' | 'target' | 'group' | 'contempt' | 'defuse';

export interface TermEntry {
  /** The term as reported to the client: the line without its marker and asterisks. */
  readonly term: string;
  readonly kind: TermKind;
  /** The folded words of the term. */
  readonly words: readonly string[];
  /** The entry also matches as the first part of a compound word (`zwaard*`). */
  readonly startsCompounds: boolean;
  /** The entry also matches as the last part of a compound word (`*moord`). */
  readonly endsCompounds: boolean;
  /** A harm term (`! gun`): a context term refused when aimed at a target or beside another context term. */
  readonly harm: boolean;
}

const markers: Record<string, TermKind> = { '?': 'context', '!': 'context', '=': 'allow', '@': 'target', '%': 'group', '~': 'contempt', '&': 'defuse' };

/** The entry a line holds, or undefined for a line with no words. */
export function parseTermLine(line: string): TermEntry | undefined {
  let text = line.trim();
  const harm = text.startsWith('!');
  const kind = markers[text[0] ?? ''] ?? 'refuse';
  if (kind !== 'refuse') text = text.slice(1).trim();
  const startsCompounds = text.endsWith('*');
  const endsCompounds = text.startsWith('*');
  const term = text.replace(/^\*+|\*+$/g, '').trim();
  const words = toWords(term);
  if (words.length === 0) return undefined;
  return { term, kind, words, startsCompounds: startsCompounds && words.length === 1, endsCompounds: endsCompounds && words.length === 1, harm };
}

/** The key a term is removed by: its folded words, whatever its kind or asterisks. */
export function termKey(line: string): string {
  return toWords(line.replace(/^\s*[?!=@%~&]/, '')).join(' ');
}

/** The entry lines of a list text, without comments and blank lines. */
export function parseTermList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/** The default policy: the lines of shared/resources/disallow-list.txt. */
export function loadDefaultTerms(): string[] {
  return parseTermList(readResource('disallow-list.txt'));
}
