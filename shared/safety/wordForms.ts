/**
 * The inflected forms of a listed word, generated from its base form with English and Dutch suffix rules.
 *
 * Why suffixes and not a stemmer: Snowball's stemmers conflate words a school must tell apart (Dutch
 * "geweldig", great, stems to "geweld", violence; English "heroines" to "heroin") and miss forms the list
 * needs ("killer" stays "killer", "nakedness" does not reach "naked"'s stem "nake"). Generating the forms of
 * each listed word gives a set a reviewer can read, a hash lookup per prompt word, and exactly the forms of
 * a term a school removes. docs/safety.md (The prompt screen) has the measurements behind this choice.
 */

const vowels = 'aeiou';
const isVowel = (c: string | undefined) => c !== undefined && vowels.includes(c);

/** English endings: plural, past, participle, agent, adverb, noun. */
const englishSuffixes = ['s', 'es', 'ed', 'd', 'ing', 'ings', 'er', 'ers', 'est', 'ly', 'ness'];
/** Dutch endings: adjective -e, plural -en/-s, past -de/-te, participle -d/-t, agent -er, noun -ing, diminutive -je/-tje. */
const dutchSuffixes = ['e', 'en', 'n', 's', 'de', 'te', 'den', 'ten', 'd', 't', 'er', 'ers', 'ing', 'ingen', 'st', 'ste', 'je', 'jes', 'tje', 'tjes'];
const suffixes = [...new Set(['', ...englishSuffixes, ...dutchSuffixes])];
/** Endings that start with a vowel, before which spelling changes (doubling, dropped e, halved vowel). */
const vowelSuffixes = suffixes.filter((suffix) => isVowel(suffix[0]));

/** Every form of one folded word, the word itself first. */
export function inflectedForms(word: string): string[] {
  const forms = new Set(suffixes.map((suffix) => word + suffix));
  const last = word.at(-1);
  const beforeLast = word.at(-2);
  // massacre → massacring, torture → tortured.
  if (last === 'e') for (const suffix of vowelSuffixes) forms.add(word.slice(0, -1) + suffix);
  // bloody → bloodied, bloodiest.
  if (last === 'y') for (const suffix of ['es', 'ed', 'er', 'est', 'ly', 'ness']) forms.add(`${word.slice(0, -1)}i${suffix}`);
  // One short vowel before a final consonant doubles it: stab → stabbed, gun → gunned, pik → pikken.
  if (last !== undefined && !isVowel(last) && !'wxy'.includes(last) && isVowel(beforeLast) && !isVowel(word.at(-3))) {
    for (const suffix of vowelSuffixes) forms.add(word + last + suffix);
  }
  // Dutch halves a long vowel in an open syllable: dood → doden, bloot → blote, pistool → pistolen.
  if (last !== undefined && !isVowel(last) && isVowel(beforeLast) && beforeLast === word.at(-3) && beforeLast !== 'i') {
    for (const suffix of vowelSuffixes) forms.add(word.slice(0, -2) + last + suffix);
  }
  // A Dutch infinitive brings its verb forms: afslachten → afslachtte, martelen → gemarteld.
  if (word.length >= 7 && word.endsWith('en')) {
    const stem = word.slice(0, -2);
    for (const suffix of ['t', 'te', 'ten', 'de', 'den', 'ing', 'ingen', 'er', 'ers']) forms.add(stem + suffix);
    if (!stem.startsWith('ge')) for (const suffix of ['d', 't', 'de', 'te', 'den', 'ten']) forms.add(`ge${stem}${suffix}`);
  }
  return [...forms];
}

/** How a listed word may join others in a compound (Dutch zwaardgevecht, kindermoord; English bloodbath). */
export function compoundHeads(word: string): string[] {
  // Dutch links the parts with nothing, -s-, -e- or -en- (moordenaarsvis, zwaardengekletter).
  return [word, `${word}s`, `${word}e`, `${word}en`];
}
