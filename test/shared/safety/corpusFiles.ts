import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectDir } from '../../../local/harness/stack';

/**
 * The red-team corpora, read from the source tree (test/shared/safety/corpus/): one prompt a line, blank
 * lines and # lines ignored, a `# section` comment naming the group the prompts after it belong to, and
 * \uXXXX standing for that character (so invisible ones stay visible in review).
 */

export interface CorpusPrompt {
  readonly section: string;
  readonly prompt: string;
}

export function readCorpus(name: 'refused' | 'innocent'): CorpusPrompt[] {
  const text = readFileSync(path.join(projectDir, 'test', 'shared', 'safety', 'corpus', `${name}.txt`), 'utf8');
  const prompts: CorpusPrompt[] = [];
  let section = '';
  let headerDone = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      // The file's opening comment is not a section; every later comment names one.
      // A comment that only describes the next line ("the next two lines hold…") is not a section.
      if (headerDone && !/^#\s*the next/i.test(line)) section = line.replace(/^#+\s*/, '');
      continue;
    }
    headerDone = true;
    if (line.length === 0) continue;
    prompts.push({ section, prompt: line });
  }
  return prompts;
}
