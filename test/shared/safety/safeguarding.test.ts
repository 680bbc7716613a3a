import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSafeguardingDetector, firstPersonGroup, loadSafeguardingLexicon, parseLexicon, safeguardingDetector } from '../../../shared/safety/safeguarding';
import { readCorpus } from './corpusFiles';

/**
 * The safeguarding detector (shared/safety/safeguarding.ts) over its shipped lexicon: every line of
 * shared/resources/self-harm-signals.txt is run here (a signal alone, a means word beside each companion,
 * an exception silencing, each first-person marker raising to urgent), and a table of innocent look-alikes
 * must pass. A new line in the file is tested by the loops below without a new test being written.
 */

const lexicon = loadSafeguardingLexicon();
const detector = safeguardingDetector();

describe('safeguarding lexicon: every entry', () => {
  for (const entry of lexicon.entries) {
    if (entry.kind === 'signal' || entry.kind === 'abbreviation') {
      it(`"${entry.line}" is a signal alone, not urgent in the third person, urgent with "me"`, () => {
        const bare = detector.detect(entry.term);
        assert.ok(bare.matched.includes(entry.line), `${entry.term}: ${JSON.stringify(bare)}`);
        // Entries that carry their own first person ("kill myself", "ik wil dood"-style phrases) are urgent alone.
        assert.equal(bare.urgent, detector.isFirstPerson(entry.term));
        const third = detector.detect(`a boy and ${entry.term}`);
        assert.ok(third.signal);
        const first = detector.detect(`a drawing of me and ${entry.term}`);
        assert.deepEqual([first.signal, first.urgent], [true, true]);
      });
    }
    if (entry.kind === 'means') {
      const companions = lexicon.groups.get(entry.group ?? '') ?? [];
      it(`"${entry.line}" is a signal beside each of its ${companions.length} companions, and not alone`, () => {
        assert.equal(detector.detect(`a ${entry.term}`).signal, false, `${entry.term} alone`);
        for (const companion of companions) {
          const prompt = `${entry.term} on the ${companion.join(' ')}`;
          assert.ok(detector.detect(prompt).matched.includes(entry.line), prompt);
          // Too far apart to belong together: a long sentence that merely mentions both.
          const apart = `${entry.term} one two three four five six ${companion.join(' ')}`;
          assert.ok(!detector.detect(apart).matched.includes(entry.line), apart);
        }
      });
    }
    if (entry.kind === 'allow') {
      it(`"${entry.line}" passes`, () => {
        assert.deepEqual(detector.detect(`a picture of the ${entry.term}`), { signal: false, urgent: false, matched: [] });
      });
    }
  }

  for (const marker of lexicon.groups.get(firstPersonGroup) ?? []) {
    it(`first-person marker "${marker.join(' ')}" makes a signal urgent, and is no signal alone`, () => {
      assert.deepEqual(detector.detect(`${marker.join(' ')} zelfmoord`), { signal: true, urgent: true, matched: ['zelfmoord*'] });
      assert.deepEqual(detector.detect(`a picture of ${marker.join(' ')} and a dog`), { signal: false, urgent: false, matched: [] });
    });
  }

  it('has no line it cannot read, and names every group a means line uses', () => {
    assert.ok(lexicon.entries.length > 100);
    assert.throws(() => parseLexicon('~ cut\n[first-person] me'), /a means line is/);
    assert.throws(() => parseLexicon('~ cut > body\n[first-person] me'), /unknown group \[body\]/);
    assert.throws(() => parseLexicon('suicide'), /no \[first-person\] group/);
  });
});

describe('safeguarding: prompts children write', () => {
  const signals: Array<[prompt: string, urgent: boolean]> = [
    // The example, and the first person that makes it urgent.
    ['Me with cuts on my wrists', true],
    ['a girl with cuts on her wrists', false],
    ['ik met sneetjes in mijn armen', true],
    ['snijden in mijn armen', true],
    ['krassen op mijn armen', true],
    ['a drawing of me hanging myself', true],
    ['een jongen die zichzelf ophangt', false],
    ['als ik me ophang', true],
    ['I want to die', true],
    ['ik wil dood', true],
    ['ik wil niet meer leven', true],
    ['ik wil er niet meer zijn', true],
    ['ik wil zelfmoord plegen', true],
    ['zelfdoding', false],
    ['mezelf doodmaken', true],
    ['i will kill myself tomorrow', true],
    ['kms', false],
    ['me after i unalive myself', true],
    ['thinspo pictures of me', true],
    ['pro-ana girl', false],
    ['springen van een flat', false],
    ['ik spring van de flat', true],
    ['jump off a building', false],
    ['an overdose', false],
    ['een overdosis pillen voor mij', true],
    ['een strop om mijn nek', true],
    // Disguises the folding reads through.
    ['zelfm00rd', false],
    ['Zelfmoort', false],
    ['s u i c i d e', false],
    ['su1c1de', false],
    ['$uicide', false],
    ['zelf moord', false],
    ['k1ll mys3lf', true],
    ['ＳＵＩＣＩＤＥ', false],
    ['suіcide', false], // with a Cyrillic і
    ['SELF-HARM', false],
  ];
  for (const [prompt, urgent] of signals) {
    it(`"${prompt}" is a signal${urgent ? ', urgent' : ''}`, () => {
      const result = detector.detect(prompt);
      assert.equal(result.signal, true, JSON.stringify(result));
      assert.equal(result.urgent, urgent, JSON.stringify(result));
    });
  }

  const innocent = [
    // The look-alikes a safeguarding lead worries about: everyday speech about death, hanging and cutting.
    'dead tired after the school trip',
    'I could die laughing',
    'a dead bird in the garden',
    'hanging a painting on the wall',
    'me hanging a painting in my room',
    'cutting bread for lunch',
    'me cutting paper with scissors',
    'the Suicide Squad with Harley Quinn',
    'een hangmat tussen twee bomen',
    'het ophangen van de was',
    'ik help mee ophangen van de slingers',
    'hang me op de muur als schilderij',
    'a cute kitten sitting on my arm',
    'me scared of a spider on my arm',
    'I want to diet before summer',
    'I dont want to live in London',
    'I hurt myself playing football',
    'a cowboy with a noose on his saddle',
    'kinderen springen van de brug in de gracht',
    'me jumping off a diving board',
    'a car that drove 100 kms',
    'liever dood dan slaaf, een oud motto',
    'ik ben doodmoe',
    'ik ga dood van het lachen',
    'my arm in a cast after I fell',
    'a haircut for my dog',
    'cutting my birthday cake',
    'I cut myself a slice of cake',
    'a bandage on my wrist after football',
    'a dead end street',
    'a die for a board game',
    'Day of the Dead skulls with flowers',
    'een dode boom in het bos',
    'een armband om mijn pols',
  ];
  for (const prompt of innocent) {
    it(`"${prompt}" passes`, () => {
      assert.deepEqual(detector.detect(prompt), { signal: false, urgent: false, matched: [] });
    });
  }

  it('finds no signal in the innocent classroom corpus (test/shared/safety/corpus/innocent.txt)', () => {
    const found = readCorpus('innocent').filter(({ prompt }) => detector.detect(prompt).signal);
    assert.deepEqual(found, []);
  });

  it('reads the first person as a classifier verdict needs it', () => {
    assert.equal(detector.isFirstPerson('I skip every meal'), true);
    assert.equal(detector.isFirstPerson('ik sla elke maaltijd over'), true);
    assert.equal(detector.isFirstPerson('a girl who skips every meal'), false);
  });

  it('reads a lexicon given as text (the format in the file\'s header)', () => {
    const small = createSafeguardingDetector(parseLexicon('[first-person] me\n[body] arm\nhopeless\n~ cut > body\n= hopeless romantic'));
    assert.deepEqual(small.detect('hopeless me'), { signal: true, urgent: true, matched: ['hopeless'] });
    assert.equal(small.detect('a hopeless romantic').signal, false);
    assert.equal(small.detect('a cut on an arm').signal, true);
  });
});
