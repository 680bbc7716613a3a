import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readResource } from '../../../shared/resources';
import { createPromptScreen, loadDefaultTerms } from '../../../shared/safety/promptScreen';
import { parseTermLine, parseTermList } from '../../../shared/safety/termList';

/**
 * Every entry of issue 20's section of the disallow list, by kind, in a prompt of its own: a refused word is
 * refused alone; a harm term is flagged alone and refused beside a target; a group or a contempt term is
 * refused only with the other; an exception is let through; a defusing word leaves a knife beside a child to
 * the classifier. So each line is traceable to a test, and a line that does nothing fails here by name.
 */

const screen = createPromptScreen(loadDefaultTerms());
const text = readResource('disallow-list.txt');
const section = parseTermList(text.slice(text.indexOf('# Issue 20: how children write'), text.indexOf('# Targets (@)')));

describe('disallow list, issue 20 entries', () => {
  it('has the section', () => assert.ok(section.length > 150, `${section.length} lines`));

  it('refuses each refused entry alone (a compound head that is also a context word, such as kanker*, in a compound)', () => {
    const missed = section.filter((line) => {
      const entry = parseTermLine(line);
      if (entry?.kind !== 'refuse') return false;
      const alone = screen.screen(entry.term);
      if (alone.blocked) return false;
      // "kanker" alone is the illness (a context term); "kankerjood" is a slur.
      return !(entry.startsCompounds && (alone.contextTerms?.length ?? 0) > 0 && screen.screen(`${entry.term}jood`).blocked);
    });
    assert.deepEqual(missed, []);
  });

  it('flags each harm term alone, and refuses it beside a target', () => {
    for (const line of section.filter((each) => each.startsWith('!'))) {
      const term = parseTermLine(line)?.term ?? '';
      const alone = screen.screen(`a picture with ${term}`);
      assert.equal(alone.blocked, false, `${term} alone`);
      assert.ok(alone.contextTerms?.includes(term), `${term} is flagged`);
      assert.equal(screen.screen(`${term} and a child`).blocked, true, `${term} with a child`);
    }
  });

  it('refuses each group only with contempt, and each contempt term only about a group', () => {
    const groups = section.filter((line) => line.startsWith('%')).map((line) => parseTermLine(line)?.term ?? '');
    const contempt = section.filter((line) => line.startsWith('~')).map((line) => parseTermLine(line)?.term ?? '');
    for (const group of groups) {
      assert.equal(screen.screen(`a history lesson about ${group}`).blocked, false, `${group} alone`);
      assert.equal(screen.screen(`${group} are rats`).blocked, true, `${group} with contempt`);
    }
    for (const word of contempt) {
      assert.equal(screen.screen(`a picture: ${word}`).blocked, false, `${word} alone`);
      assert.equal(screen.screen(`immigrants, ${word}`).blocked, true, `${word} about a group`);
    }
  });

  it('lets each exception through', () => {
    const refused = section.filter((line) => line.startsWith('=')).map((line) => parseTermLine(line)?.term ?? '').filter((term) => screen.screen(term).blocked);
    assert.deepEqual(refused, []);
  });

  it('leaves a knife beside a child to the classifier when a defusing word is there', () => {
    assert.equal(screen.screen('a child with a knife').blocked, true);
    for (const line of section.filter((each) => each.startsWith('&'))) {
      const word = parseTermLine(line)?.term ?? '';
      const result = screen.screen(`a child with a knife and ${word}`);
      assert.equal(result.blocked, false, `${word} defuses`);
      assert.ok(result.contextTerms?.includes('knife'));
    }
  });
});
