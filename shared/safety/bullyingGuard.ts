import { readResource } from '../resources';
import { createPromptScreen, type PromptScreen } from './promptScreen';
import { parseTermList } from './termList';
import { toWords } from './textFolding';

/**
 * The bullying guard: refuses a picture that puts a real, identifiable person in a demeaning, humiliating,
 * sexual or violent scene ("Daan uit groep 7 met een varkensneus", "my teacher as a fat pig"), with its own
 * reason (`Bullying`), so the child hears why: pictures that make fun of real people can hurt them.
 *
 * A person is identifiable by a reference (shared/resources/bullying-references.txt): a teacher ("juf",
 * "Mr Brown", "my teacher"), a classmate, a named friend, or a first name (bullying-names.txt) beside a class
 * or group ("uit groep 7", "from 8B", "in my class"). What makes it hurtful is a descriptor
 * (bullying-descriptors.txt, in the disallow list's format, so it gets the screen's folding, inflections and
 * exceptions). Both must be there: "Daan as an astronaut" and "a fat cat" are fine. Names alone are not
 * enough, because story characters have names too. Self-harm is not judged here (safeguarding.ts).
 */

export interface BullyingVerdict {
  /** A real person in a hurtful picture: refuse with innererror `Bullying`. */
  readonly refused: boolean;
  /** The references found ("uit groep 7", "juf"), as the templates write them; empty when none. */
  readonly references: readonly string[];
  /** The descriptor terms found, as the list writes them; empty when none. */
  readonly descriptors: readonly string[];
}

export interface BullyingGuard {
  check(prompt: string): BullyingVerdict;
}

export interface BullyingLists {
  /** First names, one a line (bullying-names.txt). */
  readonly names: readonly string[];
  /** `class …` and `person …` templates (bullying-references.txt). */
  readonly references: readonly string[];
  /** Descriptor lines in the disallow list's format (bullying-descriptors.txt). */
  readonly descriptors: readonly string[];
}

type Slot = '<n>' | '<code>' | '<word>' | '<name>';
type Token = { readonly literal: string } | { readonly slot: Slot };

interface Template {
  readonly kind: 'class' | 'person';
  readonly text: string;
  readonly tokens: readonly Token[];
}

/** Words that follow "meneer", "Mr", … but are not a surname ("Mr and Mrs", "meneer de …" is still a person). */
const notSurnames = new Set(['and', 'en', 'or', 'of', 'the', 'a', 'is', 'was']);
/** Words for a child that make the class after them a real child ("een jongen uit 7C"). */
const childWords = new Set(['jongen', 'meisje', 'kind', 'boy', 'girl', 'kid', 'leerling', 'student', 'pupil', 'iedereen', 'everyone', 'everybody', 'iemand', 'someone']);
/** Class codes that are picture styles or resolutions ("a dinosaur in 3D"). */
const notClassCodes = new Set(['2d', '3d', '4d', '4k', '8k']);

function parseTemplate(line: string): Template | undefined {
  const match = /^(class|person)\s+(.+)$/.exec(line.trim());
  if (!match) return undefined;
  const text = (match[2] ?? '').trim();
  const tokens: Token[] = [];
  for (const part of text.split(/\s+/)) {
    if (part === '<n>' || part === '<code>' || part === '<word>' || part === '<name>') tokens.push({ slot: part });
    else for (const word of toWords(part)) tokens.push({ literal: word });
  }
  return tokens.length > 0 ? { kind: match[1] === 'class' ? 'class' : 'person', text, tokens } : undefined;
}

/** The words capitalised in the prompt as typed, folded: a child writes a name with a capital more often than not. */
function capitalisedWords(prompt: string): Set<string> {
  const capitalised = new Set<string>();
  for (const word of prompt.split(/[^\p{L}\p{N}]+/u)) if (/^\p{Lu}\p{Ll}/u.test(word)) for (const folded of toWords(word)) capitalised.add(folded);
  return capitalised;
}

export function createBullyingGuard(lists: BullyingLists): BullyingGuard {
  const names = new Set(lists.names.flatMap((name) => toWords(name)));
  const templates = lists.references.map(parseTemplate).filter((template) => template !== undefined);
  const byFirstWord = new Map<string, Template[]>();
  for (const template of templates) {
    const first = template.tokens[0];
    // Every template starts with a word; one that does not could match anywhere and is refused at load.
    if (!first || !('literal' in first)) throw new Error(`bullying-references: "${template.text}" must start with a word, not a placeholder`);
    byFirstWord.set(first.literal, [...(byFirstWord.get(first.literal) ?? []), template]);
  }
  // No misspellings or reversals: descriptors are everyday words ("crying" is one letter from "drying").
  const descriptorScreen: PromptScreen = createPromptScreen(lists.descriptors, { approximate: false });

  function slotMatches(slot: Slot, word: string, capitalised: Set<string>): boolean {
    switch (slot) {
      case '<n>':
        return /^\d{1,2}[a-z]?$/.test(word);
      case '<code>':
        return /^\d{1,2}[a-z]{1,2}$/.test(word) && !notClassCodes.has(word);
      case '<word>':
        return !notSurnames.has(word) && /\p{L}/u.test(word);
      case '<name>':
        return names.has(word) || capitalised.has(word);
    }
  }

  function findReferences(words: readonly string[], capitalised: Set<string>): string[] {
    const found: string[] = [];
    let namedChild = words.some((word) => names.has(word));
    const classes: number[] = [];
    words.forEach((word, index) => {
      for (const template of byFirstWord.get(word) ?? []) {
        const fits = template.tokens.every((token, k) => {
          const at = words[index + k];
          if (at === undefined) return false;
          return 'literal' in token ? token.literal === at : slotMatches(token.slot, at, capitalised);
        });
        if (!fits) continue;
        if (template.kind === 'person') found.push(template.text);
        else {
          classes.push(found.length);
          found.push(template.text);
          const before = words[index - 1];
          // The word right before the class: a name written with a capital (even first in the prompt), or a child.
          if (before !== undefined && (capitalised.has(before) || childWords.has(before))) namedChild = true;
        }
      }
    });
    // A class alone is a place, not a person: it counts only with a child named or pointed at.
    return namedChild ? found : found.filter((_, index) => !classes.includes(index));
  }

  return {
    check(prompt: string): BullyingVerdict {
      const words = toWords(prompt);
      const references = [...new Set(findReferences(words, capitalisedWords(prompt)))];
      if (references.length === 0) return { refused: false, references, descriptors: [] };
      const descriptors = descriptorScreen.screen(prompt).matchedTerms;
      return { refused: descriptors.length > 0, references, descriptors };
    },
  };
}

/** The guard with the lists in shared/resources/. */
export function loadBullyingLists(): BullyingLists {
  return {
    names: parseTermList(readResource('bullying-names.txt')),
    references: parseTermList(readResource('bullying-references.txt')),
    descriptors: parseTermList(readResource('bullying-descriptors.txt')),
  };
}

export function createDefaultBullyingGuard(): BullyingGuard {
  return createBullyingGuard(loadBullyingLists());
}
