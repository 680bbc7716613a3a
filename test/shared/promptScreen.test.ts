import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPromptScreen, loadDefaultTerms, toWords } from '../../shared/promptScreen';

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

  it('takes extra terms (a school can add its own)', () => {
    const custom = createPromptScreen([...loadDefaultTerms(), 'clown']);
    assert.equal(custom.screen('a scary clown').blocked, true);
    assert.equal(screen.screen('a scary clown').blocked, false);
  });

  it('folds case and accents into words', () => {
    assert.deepEqual(toWords("L'Été, à Paris!"), ['l', 'ete', 'a', 'paris']);
  });
});
