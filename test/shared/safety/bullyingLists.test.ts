import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBullyingGuard, loadBullyingLists } from '../../../shared/safety/bullyingGuard';
import { parseTermLine } from '../../../shared/safety/termList';

/**
 * Every entry of the bullying guard's lists (shared/resources/bullying-*.txt) in a prompt of its own: each name
 * with a class and a demeaning word, and with a kind one; each reference template filled in; each descriptor
 * beside a named child and alone. A line that does nothing, or that refuses a kind picture, fails here by name.
 */

const lists = loadBullyingLists();
const guard = createBullyingGuard(lists);

/** A template with its placeholders filled (a group number, a class code, a surname, a listed name). */
function fill(template: string): string {
  return template
    .replace(/^(class|person)\s+/, '')
    .replace('<n>', '7')
    .replace('<code>', '8B')
    .replace('<word>', 'Jansen')
    .replace('<name>', 'Daan');
}

describe('bullying guard lists', () => {
  it('has a few hundred names, each refused beside a class and a demeaning word, and allowed in a kind picture', () => {
    assert.ok(lists.names.length >= 300, `${lists.names.length} names`);
    const missed = lists.names.filter((name) => !guard.check(`${name} uit groep 7 met een varkensneus`).refused);
    const refusedKindly = lists.names.filter((name) => guard.check(`${name} uit groep 7 als astronaut op de maan`).refused);
    assert.deepEqual(missed, []);
    assert.deepEqual(refusedKindly, []);
  });

  it('recognises every reference template, and refuses it only with a demeaning word', () => {
    for (const template of lists.references) {
      const reference = fill(template);
      // A class needs a child beside it; a person reference stands alone.
      const prompt = template.startsWith('class') ? `Daan ${reference}` : reference;
      assert.equal(guard.check(`${prompt} as a fat pig`).refused, true, `${template}: "${prompt} as a fat pig"`);
      assert.equal(guard.check(`${prompt} as a fat pig`).references.includes(template.replace(/^(class|person)\s+/, '')), true, template);
      assert.equal(guard.check(`${prompt} with a birthday cake`).refused, false, `${template}: kind`);
    }
  });

  it('refuses every descriptor beside a named child, and none alone', () => {
    for (const line of lists.descriptors) {
      const entry = parseTermLine(line);
      if (!entry) continue;
      if (entry.kind === 'allow') {
        assert.equal(guard.check(`Daan uit groep 7 met ${entry.term}`).refused, false, `exception ${entry.term}`);
        continue;
      }
      assert.equal(guard.check(`Daan uit groep 7 ${entry.term}`).refused, true, `descriptor ${entry.term}`);
      assert.equal(guard.check(`a picture, ${entry.term}`).refused, false, `descriptor ${entry.term} alone`);
    }
  });
});
