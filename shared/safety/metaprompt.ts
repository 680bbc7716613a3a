import { readResource } from '../resources';
import type { Orientation } from '../models/modelCatalogue';
import { characterCount } from '../text/textHygiene';

/**
 * The child-safety metaprompt that wraps every student prompt. The template is a versioned text resource
 * (resources/metaprompt.<version>.txt); the version is stored on each job so a picture can be traced to
 * the exact wording that produced it.
 */

export const currentMetapromptVersion = 'child-safe-v1';

/** The lesson's disallow list, given to the model as the things to leave out. */
const seedDisallowList =
  'swords, violence, blood, gore, nudity, sexual content, adult content, adult themes, adult language, adult humor, adult jokes, adult situations, adult';

const orientationWording: Record<Orientation, string> = {
  square: 'square',
  landscape: 'landscape',
  portrait: 'portrait',
};

export interface Metaprompt {
  readonly version: string;
  compose(studentPrompt: string, orientation: Orientation): string;
  /** Characters the metaprompt adds around the student prompt at most (the longest orientation wording). */
  readonly overheadChars: number;
}

export function loadMetaprompt(version: string = currentMetapromptVersion): Metaprompt {
  const template = readResource(`metaprompt.${version}.txt`).trimEnd();
  for (const placeholder of ['{{orientation}}', '{{disallowList}}', '{{studentPrompt}}']) {
    if (!template.includes(placeholder)) {
      throw new Error(`Metaprompt ${version} lacks the placeholder ${placeholder}`);
    }
  }
  const compose = (studentPrompt: string, orientation: Orientation): string =>
    template
      .replace('{{orientation}}', orientationWording[orientation])
      .replace('{{disallowList}}', seedDisallowList)
      // A function replacement, so "$&" or "$1" in a student prompt stays literal text.
      .replace('{{studentPrompt}}', () => studentPrompt);
  const overheadChars = Math.max(
    ...Object.keys(orientationWording).map((o) => characterCount(compose('', o as Orientation))),
  );
  return { version, compose, overheadChars };
}
