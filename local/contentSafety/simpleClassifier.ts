/**
 * THE LOCAL STAND-IN'S CLASSIFIER: A SIMPLE WORD LIST, NOT AZURE AI CONTENT SAFETY.
 *
 * It exists so the classifier path (HTTP call, severities, thresholds, refusals, safety events) is real and
 * tested on this machine. It knows a few phrases per category with a fixed severity on the service's
 * FourSeverityLevels scale (0 safe, 2 low, 4 medium, 6 high), and a few "ignore your instructions" patterns
 * for Prompt Shields. It misses nearly everything the real service catches; never use its verdicts to judge
 * how safe the service is. Phrases are chosen to sit beside the prompt screen's disallow list (which refuses
 * first), not to repeat it.
 */

export type ServiceCategory = 'Hate' | 'SelfHarm' | 'Sexual' | 'Violence';

/** Phrases (whole words, lower case, accents folded) and the severity each gives its category. */
const lexicon: Readonly<Record<ServiceCategory, ReadonlyArray<readonly [phrase: string, severity: number]>>> = {
  Hate: [
    ['inferior race', 6],
    ['subhuman', 6],
    ['ethnic cleansing', 6],
    ['go back to your country', 4],
    ['people like them are dirty', 4],
    ['stupid girls', 2],
  ],
  SelfHarm: [
    ['end my life', 6],
    ['want to die', 6],
    ['cut myself', 6],
    ['hurt myself', 4],
    ['starve myself', 4],
    ['skip every meal', 2],
  ],
  Sexual: [
    ['erotic', 6],
    ['topless', 6],
    ['lingerie', 4],
    ['undressed', 4],
    ['seductive', 2],
    ['in a bikini', 2],
  ],
  Violence: [
    ['beheaded', 6],
    ['massacre', 6],
    ['strangle', 6],
    ['stabbing', 4],
    ['stabbed', 4],
    ['shooting people', 4],
    ['beat him up', 2],
    ['punching', 2],
    ['neersteken', 4],
    ['neerschieten', 4],
  ],
};

/** "Ignore your instructions" and role-play escapes, in English and Dutch. */
const attackPatterns: readonly RegExp[] = [
  /\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|your|the|system)\b.{0,20}\b(instructions?|rules|prompts?|guidelines|restrictions|filters?)\b/,
  /\byou are (now )?(dan|in developer mode|an unfiltered|not bound)\b/,
  /\b(pretend|act as if|imagine) (that )?(you have|there are|you had) no (rules|restrictions|filters|guidelines)\b/,
  /\b(reveal|show|print|repeat) (me )?(your|the) (system )?(prompt|instructions)\b/,
  /\bjailbreak\b/,
  /\bnegeer\b.{0,40}\b(instructies|regels)\b/,
];

function normalise(text: string): string {
  return ` ${text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;
}

/** The four categories with the highest severity any of their phrases gives (0 when none matches). */
export function classifyText(text: string): Array<{ category: ServiceCategory; severity: number }> {
  const folded = normalise(text);
  return (Object.keys(lexicon) as ServiceCategory[]).map((category) => ({
    category,
    severity: Math.max(0, ...lexicon[category].filter(([phrase]) => folded.includes(` ${phrase} `)).map(([, severity]) => severity)),
  }));
}

export function detectPromptAttack(text: string): boolean {
  const folded = normalise(text);
  return attackPatterns.some((pattern) => pattern.test(folded));
}
