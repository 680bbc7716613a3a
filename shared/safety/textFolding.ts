/**
 * Turning a prompt into the words the screen compares with its list, and into the other readings an
 * attacker may intend: leetspeak, letters written apart, a word split in two. Everything is folded the same
 * way as the list itself, so a term and its disguise meet in one spelling.
 */

/**
 * Letters that look like Latin ones but survive Unicode normalisation: Cyrillic, Greek, Armenian, and
 * Latin letters without a decomposition (dotless ı, alpha ɑ, ø, ł, small capitals).
 */
const lookalikes: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ɡ: 'g', һ: 'h', ӏ: 'l', α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k',
  ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', η: 'n', ϲ: 'c', օ: 'o', ս: 'u', ո: 'n',
  ı: 'i', ĸ: 'k', σ: 'o', ς: 'c', ɩ: 'i', ɪ: 'i', ɑ: 'a', ɒ: 'a', ø: 'o', ɵ: 'o', ł: 'l', ƚ: 'l', đ: 'd', ð: 'd', ħ: 'h', ŧ: 't',
  ß: 'ss', æ: 'ae', œ: 'oe', ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ᴊ: 'j', ᴋ: 'k', ʟ: 'l',
  ᴍ: 'm', ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z',
};

/**
 * Emoji and symbols that stand for a listed word. They become that word, so the list decides what they mean
 * (🔫 is a context term like "gun"; 卐 is refused like "swastika").
 */
const symbolWords: Record<string, string> = {
  '🔫': 'gun', '🔪': 'knife', '🗡': 'dagger', '⚔': 'swords', '💣': 'bomb', '🧨': 'bomb', '🩸': 'blood',
  '💉': 'syringe', '🖕': 'obscene gesture', '卐': 'swastika', '卍': 'swastika', '࿕': 'swastika', '࿖': 'swastika',
};
const symbolPattern = new RegExp(`(${Object.keys(symbolWords).join('|')})`, 'gu');

/** Digits and signs read as letters ("bl00d", "$word", "k1ll"); 1 and | can be i or l. */
const leet: Record<string, string> = { '0': 'o', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '!': 'i', '€': 'e' };
const leetSigns = /[0-9@$!€|]/;

/** Folds width, case, accents, invisible characters and look-alike letters; symbols become words. */
export function foldText(text: string): string {
  return text
    .replace(symbolPattern, (symbol) => ` ${symbolWords[symbol] ?? ''} `)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/\p{Cf}+/gu, '')
    .toLowerCase()
    .replace(/\P{ASCII}/gu, (c) => lookalikes[c] ?? c);
}

function splitWords(folded: string): string[] {
  return folded.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
}

/** Folds case and accents and splits into words of letters and digits. */
export function toWords(text: string): string[] {
  return splitWords(foldText(text));
}

/** The folded text read as leetspeak, once with 1 and | as i and once as l; none if it has no such signs. */
export function leetReadings(folded: string): string[][] {
  if (!leetSigns.test(folded)) return [];
  return ['i', 'l'].map((one) =>
    folded
      .split(/\s+/)
      .map((chunk) => chunk.replace(/[0-9@$!€|]/g, (c) => (c === '1' || c === '|' ? one : (leet[c] ?? c))).replace(/[^\p{L}]+/gu, ''))
      .filter((word) => word.length > 0),
  );
}

/**
 * Letters written apart ("s w o r d", "s.w.o.r.d") joined into the run they spell. A run can start with a
 * real one-letter word ("a s w o r d"), so the caller looks for terms anywhere inside it.
 */
export function letterRuns(words: readonly string[]): string[] {
  const runs: string[] = [];
  let run: string[] = [];
  for (const word of [...words, '']) {
    if (word.length === 1 && /\p{L}/u.test(word)) {
      run.push(word);
      continue;
    }
    if (run.length >= 3) runs.push(run.join('').slice(0, 64));
    run = [];
  }
  return runs;
}

/**
 * Short everyday words that are never half of a split-up word. Joining "hero in" would read "heroin", and
 * "nu de" (Dutch: "now the") would read "nude".
 */
const wholeShortWords = new Set(
  'a an as at be by do go he i if in is it me my no of on or so to up us we de di da du en er et ik je na nu om op te ze al la le el un'.split(' '),
);

/**
 * A word split in two by a space or a sign ("sw ord", "bl.ood", "kil l"): each adjacent pair of words
 * joined, unless either half is a short everyday word or the first is a single letter ("king's word" must
 * not read "sword"). The caller matches a pair only against whole list words of five letters or more.
 */
export function joinedPairs(words: readonly string[]): string[] {
  const pairs: string[] = [];
  for (let index = 0; index + 1 < words.length; index += 1) {
    const first = words[index] ?? '';
    const second = words[index + 1] ?? '';
    if (first.length < 2 || wholeShortWords.has(first) || wholeShortWords.has(second)) continue;
    if (second.length < 2 && first.length < 3) continue;
    if (/\d/.test(first + second)) continue;
    pairs.push(first + second);
  }
  return pairs;
}
