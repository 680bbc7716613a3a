import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readResource } from '../../../shared/resources';
import { fillersAsSpaces, foldText, fragmentJoins, hasFillers, leetReadings, parseConfusables, parseLeetTable } from '../../../shared/safety/textFolding';

/** The folding data (confusables-latin.txt, leetspeak.txt) line by line, and the fillers and split words of issue 20. */
describe('text folding', () => {
  it("folds the letters of Unicode's own confusables data (UTS #39) that the hand-made file does not list, and leaves ASCII alone", () => {
    const file = parseConfusables(readResource('confusables-latin.txt'));
    for (const [letter, latin] of [['ᗅ', 'a'], ['⍺', 'a'], ['ᑭ', 'p'], ['ᏚᎬⅩ', 'sex']] as const) {
      if ([...letter].length === 1) assert.equal(file.has(letter), false, `${letter} is not in the file, so this tests the Unicode data`);
      assert.equal(foldText(letter), latin, letter);
    }
    // The data maps 0 → O, 1 → l and I → l; that is leetspeak's business, not every prompt's.
    assert.equal(foldText('I1 0'), 'i1 0');
  });

  it('folds every confusable letter of confusables-latin.txt to its Latin letters', () => {
    const confusables = parseConfusables(readResource('confusables-latin.txt'));
    assert.ok(confusables.size >= 250, `${confusables.size} entries`);
    for (const [letter, latin] of confusables) {
      assert.equal(foldText(`x${letter}x`), `x${latin.toLowerCase()}x`, `U+${(letter.codePointAt(0) ?? 0).toString(16).toUpperCase()} → ${latin}`);
    }
  });

  it('reads the issue\'s other scripts as Latin (Lisu, Cherokee, IPA, Greek capitals, fullwidth, mathematical)', () => {
    assert.equal(foldText('ꓠꓮꓗꓰꓓ'), 'naked');
    assert.equal(foldText('ᎡᎪᏢᎬ'), 'rape');
    assert.equal(foldText('nakɛɗ ɓlooɗ'), 'naked blood');
    assert.equal(foldText('ΒΟΜΒ'), 'bomb');
    assert.equal(foldText('ｐｏｒｎ 𝐧𝐮𝐝𝐞'), 'porn nude');
  });

  it('reads every sign of leetspeak.txt as its letter, in one or two readings', () => {
    const table = parseLeetTable(readResource('leetspeak.txt'));
    for (const [signs, [first, second]] of table.letters) {
      const readings = leetReadings(`x${signs}x`).map((words) => words.join(' '));
      assert.deepEqual(readings, [`x${first}x`, `x${second}x`], signs);
    }
    assert.deepEqual(leetReadings('|<ill (0(aine'), [['kill', 'cocaine'], ['kill', 'cocaine']]);
    assert.deepEqual(leetReadings('a plain prompt'), []);
  });

  it('drops fillers inside a word, and can read them as spaces', () => {
    for (const filler of ['\u3164', '\uffa0', '\u2800', '\u115f', '\u1160', '\u200b', '\u200d', '\u2060', '\ufeff', '\u00ad', '\ufe0f']) {
      assert.equal(foldText(`na${filler}ked`), 'naked', `U+${(filler.codePointAt(0) ?? 0).toString(16)}`);
      assert.equal(hasFillers(`na${filler}ked`), true);
      assert.equal(fillersAsSpaces(`a${filler}dog`), 'a dog');
    }
    assert.equal(hasFillers('a plain prompt'), false);
  });

  it('joins a word split into three or four short pieces, unless every piece is an everyday word', () => {
    assert.ok(fragmentJoins(['na', 'ke', 'd', 'woman']).includes('naked'));
    assert.ok(fragmentJoins(['dec', 'apit', 'ated', 'soldier']).includes('decapitated'));
    // Only everyday short words, or a long word in the middle: nothing to join.
    assert.deepEqual(fragmentJoins(['in', 'de', 'a', 'of']), []);
    assert.deepEqual(fragmentJoins(['a', 'knight', 'on', 'a', 'horse']), []);
  });
});
