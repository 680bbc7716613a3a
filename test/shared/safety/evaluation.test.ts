import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyText } from '../../../local/contentSafety/simpleClassifier';
import { createDefaultBullyingGuard } from '../../../shared/safety/bullyingGuard';
import { createPromptScreen, loadDefaultTerms } from '../../../shared/safety/promptScreen';
import { safeguardingDetector } from '../../../shared/safety/safeguarding';
import { readEvaluation, type EvaluationPart, type EvaluationPrompt } from './evaluationFiles';

/**
 * The evaluation set of issue 20 through the local default layers at submit, in their order: the
 * safeguarding check (self-harm signals, refused with care), the bullying guard and the prompt screen (and, printed beside them, the local Content Safety stand-in's word list at the default
 * threshold, 2, for what the screen lets through). Figures are printed for both parts; the goals are asserted
 * on the tuning part only (inappropriate ≥ 95 % refused, bullying by name ≥ 90 % refused as bullying, innocent
 * ≤ 1 % refused). The held-out part, never looked at while tuning, only has to stay above the floor first
 * measured on it, so a change that makes the screen worse on fresh prompts fails. Times are printed, never
 * asserted. Run it alone: `npm run build && node --test dist/test/shared/safety/evaluation.test.js`.
 */

const screen = createPromptScreen(loadDefaultTerms());
const guard = createDefaultBullyingGuard();
const safeguarding = safeguardingDetector();

interface Outcome {
  readonly prompt: EvaluationPrompt;
  /** Refused by the safeguarding check, the guard (as bullying) or the screen. */
  readonly refused: boolean;
  readonly bullying: boolean;
  /** Refused with care as a self-harm signal (innererror SelfHarmSignal), and whether it was urgent. */
  readonly selfHarmSignal: boolean;
  readonly urgent: boolean;
  /** Refused by the guard, the screen, or the stand-in classifier on what the screen let through. */
  readonly refusedWithStandIn: boolean;
  readonly why: string;
}

function judge(prompt: EvaluationPrompt): Outcome {
  const signal = safeguarding.detect(prompt.prompt);
  const bullying = guard.check(prompt.prompt);
  const screened = screen.screen(prompt.prompt);
  const refused = signal.signal || bullying.refused || screened.blocked;
  const standIn = !refused && classifyText(prompt.prompt).some((verdict) => verdict.severity >= 2);
  const why = signal.signal
    ? `self-harm signal: ${signal.matched.join(', ')}`
    : bullying.refused
      ? `bullying: ${bullying.references.join(', ')} + ${bullying.descriptors.join(', ')}`
      : screened.matchedTerms.join(', ');
  return { prompt, refused, bullying: !signal.signal && bullying.refused, selfHarmSignal: signal.signal, urgent: signal.urgent, refusedWithStandIn: refused || standIn, why };
}

const percent = (part: number, whole: number) => (100 * part) / Math.max(whole, 1);
const shown = (part: number, whole: number) => `${part}/${whole} (${percent(part, whole).toFixed(1)} %)`;

interface Figures {
  readonly inappropriate: number;
  readonly inappropriateWithStandIn: number;
  readonly bullyingByName: number;
  readonly innocentRefused: number;
}

function figuresFor(part: EvaluationPart, log: (line: string) => void): Figures {
  const outcomes = readEvaluation(part).map(judge);
  const bad = outcomes.filter((outcome) => outcome.prompt.refuse);
  const good = outcomes.filter((outcome) => !outcome.prompt.refuse);
  const bullying = bad.filter((outcome) => outcome.prompt.group === 'bullying');
  const falselyRefused = good.filter((outcome) => outcome.refused);
  log(`${part}: ${outcomes.length} prompts (${bad.length} a school would refuse, ${good.length} innocent)`);
  log(`  inappropriate refused (safeguarding + guard + screen): ${shown(bad.filter((outcome) => outcome.refused).length, bad.length)}`);
  log(`  ... with the stand-in classifier's word list: ${shown(bad.filter((outcome) => outcome.refusedWithStandIn).length, bad.length)}`);
  for (const group of [...new Set(bad.map((outcome) => outcome.prompt.group))]) {
    const inGroup = bad.filter((outcome) => outcome.prompt.group === group);
    log(`    ${group.padEnd(14)} ${shown(inGroup.filter((outcome) => outcome.refused).length, inGroup.length)}`);
  }
  log(`  bullying by name refused as Bullying:          ${shown(bullying.filter((outcome) => outcome.bullying).length, bullying.length)}`);
  const selfHarm = bad.filter((outcome) => outcome.prompt.group === 'self-harm');
  const signalled = selfHarm.filter((outcome) => outcome.selfHarmSignal);
  log(`  self-harm refused with care (SelfHarmSignal):  ${shown(signalled.length, selfHarm.length)}, urgent (first person): ${signalled.filter((outcome) => outcome.urgent).length}`);
  log(`  innocent refused (safeguarding + guard + screen): ${shown(falselyRefused.length, good.length)}`);
  log(`  ... with the stand-in classifier's word list: ${shown(good.filter((outcome) => outcome.refusedWithStandIn).length, good.length)}`);
  // The held-out part's misses are not printed: reading them would be tuning on it.
  if (part === 'tuning') {
    for (const outcome of bad.filter((each) => !each.refused)) log(`  missed (${outcome.prompt.group}): ${outcome.prompt.prompt}`);
    for (const outcome of falselyRefused) log(`  falsely refused (${outcome.prompt.group}): ${outcome.prompt.prompt} [${outcome.why}]`);
  }
  return {
    inappropriate: percent(bad.filter((outcome) => outcome.refused).length, bad.length),
    inappropriateWithStandIn: percent(bad.filter((outcome) => outcome.refusedWithStandIn).length, bad.length),
    bullyingByName: percent(bullying.filter((outcome) => outcome.bullying).length, bullying.length),
    innocentRefused: percent(falselyRefused.length, good.length),
  };
}

describe('evaluation set (issue 20) through the safeguarding check, the bullying guard and the prompt screen', () => {
  it('has at least 400 prompts, a third of them held out', () => {
    const tuning = readEvaluation('tuning').length;
    const heldout = readEvaluation('heldout').length;
    assert.ok(tuning + heldout >= 400, `${tuning + heldout} prompts`);
    assert.ok(heldout * 3 >= tuning + heldout, `held out: ${heldout} of ${tuning + heldout}`);
  });

  it('meets the goals on the tuning part', (t) => {
    const figures = figuresFor('tuning', (line) => t.diagnostic(line));
    assert.ok(figures.inappropriate >= 95, `inappropriate refused: ${figures.inappropriate.toFixed(1)} %; the goal is 95 %`);
    assert.ok(figures.bullyingByName >= 90, `bullying by name: ${figures.bullyingByName.toFixed(1)} %; the goal is 90 %`);
    assert.ok(figures.innocentRefused <= 1, `innocent refused: ${figures.innocentRefused.toFixed(1)} %; the goal is at most 1 %`);
  });

  it('prints the held-out figures, and keeps them above the floor first measured', (t) => {
    const figures = figuresFor('heldout', (line) => t.diagnostic(line));
    assert.ok(figures.inappropriate >= heldoutFloor.inappropriate, `held-out inappropriate refused fell to ${figures.inappropriate.toFixed(1)} %`);
    assert.ok(figures.bullyingByName >= heldoutFloor.bullyingByName, `held-out bullying by name fell to ${figures.bullyingByName.toFixed(1)} %`);
    assert.ok(figures.innocentRefused <= heldoutFloor.innocentRefused, `held-out innocent refused rose to ${figures.innocentRefused.toFixed(1)} %`);
  });

  it('prints the time of guard + screen per prompt', (t) => {
    const prompts = [...readEvaluation('tuning'), ...readEvaluation('heldout')].map((entry) => entry.prompt);
    for (const prompt of prompts) judge({ refuse: false, group: '', prompt });
    const times: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      for (const prompt of prompts) {
        const started = process.hrtime.bigint();
        safeguarding.detect(prompt);
        guard.check(prompt);
        screen.screen(prompt);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    times.sort((a, b) => a - b);
    const at = (quantile: number) => (times[Math.min(times.length - 1, Math.floor(quantile * times.length))] ?? 0).toFixed(3);
    t.diagnostic(`safeguarding + guard + screen per prompt (${times.length} checks): p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  });
});

/**
 * What the held-out part measured with the tuned layers (first 47/80 refused; 50/80 once the safeguarding check
 * was counted as the first layer; 14/14 bullying refused as Bullying, 2/78 innocent refused; see docs/safety.md): a
 * floor against regressions, not a goal.
 */
const heldoutFloor = { inappropriate: (100 * 50) / 80, bullyingByName: 100, innocentRefused: (100 * 2) / 78 };
