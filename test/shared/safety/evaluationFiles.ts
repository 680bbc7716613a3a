import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectDir } from '../../../local/harness/stack';

/**
 * The evaluation set of issue 20 (test/shared/safety/evaluation/): `tuning.txt`, the prompts the screen and the
 * bullying guard were tuned on, and `heldout.txt`, written before tuning and never looked at while tuning.
 * One prompt a line; a `# refuse: <category>` or `# innocent: <topic>` line names the group of the lines after
 * it (other # lines are comments); \uXXXX stands for that character, so invisible ones stay visible in review.
 */

export type EvaluationPart = 'tuning' | 'heldout';

export interface EvaluationPrompt {
  /** Whether a school would refuse it. */
  readonly refuse: boolean;
  /** The category (`sexual`, `bullying`, `self-harm`, …) or innocent topic (`history`, …). */
  readonly group: string;
  readonly prompt: string;
}

export function readEvaluation(part: EvaluationPart): EvaluationPrompt[] {
  const text = readFileSync(path.join(projectDir, 'test', 'shared', 'safety', 'evaluation', `${part}.txt`), 'utf8');
  const prompts: EvaluationPrompt[] = [];
  let group: { refuse: boolean; name: string } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^#\s*(refuse|innocent):\s*(.+)$/.exec(line);
    if (header) {
      group = { refuse: header[1] === 'refuse', name: (header[2] ?? '').trim() };
      continue;
    }
    if (line.length === 0 || line.startsWith('#')) continue;
    if (!group) throw new Error(`${part}.txt: "${line}" comes before any "# refuse:" or "# innocent:" line`);
    const prompt = line.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    prompts.push({ refuse: group.refuse, group: group.name, prompt });
  }
  return prompts;
}
