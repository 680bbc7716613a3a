import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPromptScreen, loadDefaultTerms, toWords } from '../../../shared/safety/promptScreen';

const screen = createPromptScreen(loadDefaultTerms());

describe('prompt screen', () => {
  const blocked: Array<[string, string]> = [
    ['a knight with a sword', 'sword'],
    ['two knights with SWORDS', 'sword'],
    ['a dragon covered in blood', 'blood'],
    ['a bloody battle', 'bloody'],
    ['lots of gore', 'gore'],
    ['a picture with nudity', 'nudity'],
    ['something with sexual content', 'sexual content'],
    ['a cartoon with adult humor', 'adult humor'],
    ['Violence in the street', 'violence'],
    // Dutch
    ['een ridder met een zwaard', 'zwaard'],
    ['ridders met zwaarden', 'zwaard'],
    ['een plas bloed', 'bloed'],
    ['veel geweld op straat', 'geweld'],
    ['een naakt beeld', 'naakt'],
    ['seksuele inhoud', 'seksuele inhoud'],
    // case and accents are folded
    ['Een VIOLENT verhaal', 'violent'],
    ['séx on the beach', 'sex'],
    ['Géwéld', 'geweld'],
  ];
  for (const [prompt, term] of blocked) {
    it(`blocks "${prompt}"`, () => {
      const result = screen.screen(prompt);
      assert.equal(result.blocked, true);
      assert.ok(result.matchedTerms.includes(term), `expected ${term} in ${result.matchedTerms.join(', ')}`);
    });
  }

  const allowed = [
    'a swordfish jumping out of the sea',
    'a bloodhound sniffing a trail',
    'a dog beside the Eiffel Tower in morning light',
    'an adult penguin feeding its chick',
    'the Arc de Triomphe in the evening light with a small child holding a teddy',
    'een zwaardvis in de zee',
    'een bloedhond in het bos',
    'de Eiffeltoren in het ochtendzonlicht',
    'een volwassen olifant met een kalf',
    'Sussex countryside with sheep',
    'a skilled baker',
    'gelijk spel bij voetbal',
  ];
  for (const prompt of allowed) {
    it(`allows "${prompt}"`, () => {
      assert.deepEqual(screen.screen(prompt), { blocked: false, matchedTerms: [] });
    });
  }

  const disguised: Array<[string, string, string]> = [
    ['leetspeak', 'a pool of bl00d', 'blood'],
    ['leetspeak with 1 for i', 'v1olence everywhere', 'violence'],
    ['leetspeak with 1 for l', 'ki11 the dragon', 'kill'],
    ['signs for letters', 'a $word fight', 'sword'],
    ['spaced letters', 'a knight with a s w o r d', 'sword'],
    ['dotted letters', 'a knight with a s.w.o.r.d', 'sword'],
    ['a zero-width space inside', 'a sw\u200Bord', 'sword'],
    ['a soft hyphen inside', 'a sw\u00ADord', 'sword'],
    ['Cyrillic look-alikes', 'a ѕwоrd (Cyrillic s and o)', 'sword'],
    ['Greek look-alikes', 'a swοrd (Greek o)', 'sword'],
    ['full-width letters', 'a ｓｗｏｒｄ', 'sword'],
    ['styled letters', 'a 𝐬𝐰𝐨𝐫𝐝', 'sword'],
    ['Dutch, spaced', 'z w a a r d', 'zwaard'],
  ];
  for (const [name, prompt, term] of disguised) {
    it(`blocks a disguised word: ${name}`, () => {
      const result = screen.screen(prompt.replace(/\\u([0-9A-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))));
      assert.ok(result.matchedTerms.includes(term), `expected ${term}, got ${result.matchedTerms.join(', ') || 'nothing'}`);
    });
  }

  it('does not read ordinary numbers as words', () => {
    assert.equal(screen.screen('7 cats and 4 dogs in 2026, 10 balloons').blocked, false);
    assert.equal(screen.screen('a b c d e f on a blackboard').blocked, false);
  });

  it('takes extra terms (a school can add its own)', () => {
    const custom = createPromptScreen([...loadDefaultTerms(), 'clown']);
    assert.equal(custom.screen('a scary clown').blocked, true);
    assert.equal(screen.screen('a scary clown').blocked, false);
  });

  it('folds case and accents into words', () => {
    assert.deepEqual(toWords("L'Été, à Paris!"), ['l', 'ete', 'a', 'paris']);
  });
});
