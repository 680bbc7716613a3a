import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBullyingGuard, createDefaultBullyingGuard } from '../../../shared/safety/bullyingGuard';

const guard = createDefaultBullyingGuard();

describe('bullying guard', () => {
  // The examples, and the kinds of reference each one stands for.
  const refused: Array<[string, string]> = [
    ['Daan uit groep 7 met een varkensneus', 'a listed name with a group'],
    ['Emma from my class but really fat and ugly', 'a listed name with "from my class"'],
    ['juf Ingrid als een lelijke heks', 'a teacher ("juf")'],
    ['my teacher as a fat pig', '"my teacher"'],
    ['Mr Brown getting beaten up by students', 'Mr and a surname'],
    ['a classmate being laughed at for being fat and stupid', '"a classmate"'],
    ['Xandrijn uit mijn klas in zijn onderbroek', 'an unlisted name, capitalised, right before the class'],
    ['een jongen uit 7C die in zijn broek plast', 'a child word right before a class code'],
    ['my best friend Zoe crying like a baby', 'a named friend'],
    ['Daan uit groep 7, d1k en l3lijk', 'descriptors are read like the screen reads words'],
  ];
  for (const [prompt, why] of refused) {
    it(`refuses "${prompt}" (${why})`, () => {
      const verdict = guard.check(prompt);
      assert.equal(verdict.refused, true, JSON.stringify(verdict));
      assert.ok(verdict.references.length > 0 && verdict.descriptors.length > 0);
    });
  }

  const allowed: Array<[string, string]> = [
    ['Daan as an astronaut', 'a name alone, kind'],
    ['Emma uit groep 7 als superheld', 'a named child, kind'],
    ['my teacher as a wizard', 'a teacher, kind'],
    ['Emma but really fat and ugly', 'a name without a class: story characters have names too'],
    ['a fat cat sleeping in groep 7', 'a class without a person'],
    ['the ugly duckling on a pond', 'a descriptor without a person'],
    ['Sem uit groep 4 met zijn dikke vrienden', 'an innocent phrase (dikke vrienden: close friends)'],
    ['Lucas uit groep 8 met blote voeten op het strand', 'an innocent phrase (blote voeten: bare feet)'],
    ['Noah from my class on a dinosaur in 3D', 'a picture style is not a class code'],
    ['I miss my dog, he was so dumb and sweet', '"miss" as a verb'],
  ];
  for (const [prompt, why] of allowed) {
    it(`allows "${prompt}" (${why})`, () => {
      assert.equal(guard.check(prompt).refused, false, JSON.stringify(guard.check(prompt)));
    });
  }

  it('names the references and descriptors it found', () => {
    assert.deepEqual(guard.check('Daan uit groep 7 met een varkensneus'), { refused: true, references: ['uit groep <n>'], descriptors: ['varkensneus'] });
    assert.deepEqual(guard.check('a picture of a dog'), { refused: false, references: [], descriptors: [] });
  });

  it('refuses a list whose template starts with a placeholder', () => {
    assert.throws(() => createBullyingGuard({ names: [], references: ['class <n> uit'], descriptors: [] }), /must start with a word/);
  });
});
