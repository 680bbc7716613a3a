/**
 * The studio's words, in Dutch and English. Every problem a child can meet gets a kind sentence that says
 * what to do next; codes and technical messages never reach the page.
 */

export type Locale = 'nl' | 'en';

export interface Strings {
  readonly lang: Locale;
  readonly title: string;
  readonly promptLabel: string;
  promptHint(maxChars: number): string;
  readonly shapeLegend: string;
  readonly square: string;
  readonly landscape: string;
  readonly portrait: string;
  readonly countLabel: string;
  readonly generate: string;
  readonly sending: string;
  readonly galleryTitle: string;
  readonly galleryEmpty: string;
  readonly placeholderBanner: string;
  waiting(position: number, seconds: number): string;
  readonly waitingToStart: string;
  readonly drawing: string;
  readonly drawingRetry: string;
  done(count: number): string;
  readonly stopped: string;
  readonly pictureWaiting: string;
  pictureAlt(index: number, prompt: string): string;
  previewAlt(index: number): string;
  revisedPrompt(text: string): string;
  download(index: number): string;
  /**
   * A kind explanation for an error code (and, for ContentFiltered, whether the prompt or the picture; with
   * innerCode, the more specific reason: SelfHarmSignal opens with care, and care.ts adds the help lines;
   * Bullying says why pictures of real people can hurt).
   */
  explain(code: string | undefined, source?: string, innerCode?: string): string;
}

const en: Strings = {
  lang: 'en',
  title: 'Picture studio',
  promptLabel: 'What should the picture show?',
  promptHint: (max) => `Describe it in your own words (at most ${max} characters). For example: a red kite above a green hill.`,
  shapeLegend: 'Shape',
  square: 'Square',
  landscape: 'Landscape (wide)',
  portrait: 'Portrait (tall)',
  countLabel: 'How many pictures',
  generate: 'Generate',
  sending: 'Sending your idea…',
  galleryTitle: 'Your pictures',
  galleryEmpty: 'Your pictures will appear here.',
  placeholderBanner: 'Practice mode: this studio runs on a test computer, so the pictures are placeholders, not real drawings.',
  waiting: (position, seconds) =>
    position <= 1 && seconds <= 1 ? "You're next, starting soon" : `You're ${ordinalEn(position)} in line, about ${aboutEn(seconds)}`,
  waitingToStart: 'Waiting to start…',
  drawing: 'Drawing…',
  drawingRetry: 'Drawing… the picture service is busy, trying again in a moment.',
  done: (count) => (count === 1 ? 'Done! Here is your picture.' : `Done! Here are your ${count} pictures.`),
  stopped: 'This one was stopped.',
  pictureWaiting: 'Being drawn…',
  pictureAlt: (index, prompt) => `Picture ${index + 1}: ${prompt}`,
  previewAlt: (index) => `Picture ${index + 1}, still being drawn`,
  revisedPrompt: (text) => `What the artist drew: ${text}`,
  download: (index) => `Download picture ${index + 1}`,
  explain(code, source, innerCode) {
    if (code === 'PromptBlocked' && innerCode === 'SelfHarmSignal') {
      return 'What you wrote sounds like you might not be feeling okay. That matters, and you don\'t have to deal with it on your own. We won\'t make this picture, but there are people you can talk to.';
    }
    switch (code) {
      case 'PromptBlocked':
        if (innerCode === 'Bullying') {
          return 'This picture would make fun of a real person. Pictures like that can hurt, even as a joke. Try a kind picture of them instead — or a made-up character.';
        }
        return 'Some words in your idea are not allowed for school pictures. Try describing it in another, friendly way — say what you would like to see.';
      case 'ContentFiltered':
        return source === 'output'
          ? 'The picture did not turn out right for school, so we did not show it. Try again, or change your idea a little.'
          : 'The picture service did not want to draw this idea. Try other words, and describe something friendly and safe.';
      case 'PromptTooLong':
        return 'Your idea is a bit too long. Try saying it in fewer words.';
      case 'MissingField':
        return 'First type what the picture should show.';
      case 'QuotaExceeded':
        return 'You have made all the pictures you can for today. Tomorrow you can make more!';
      case 'RateLimited':
        return 'That was quick! Wait a moment, then try again.';
      case 'ServiceBusy':
        return 'Lots of people are making pictures right now. Try again in a moment.';
      case 'SafetyCheckUnavailable':
        // At submit (the idea) or in the worker (the finished picture, which is then not shown).
        return 'We cannot check ideas and pictures right now, so we cannot show them. Please try again in a little while.';
      case 'SessionExpired':
        return 'This studio link has expired. Ask your teacher to open the studio again.';
      case 'SessionInvalid':
        return 'This studio link does not work. Ask your teacher to open the studio again.';
      default:
        return 'Something went wrong while making your picture. Please try again. If it keeps happening, tell your teacher.';
    }
  },
};

const nl: Strings = {
  lang: 'nl',
  title: 'Tekenstudio',
  promptLabel: 'Wat moet er op de tekening staan?',
  promptHint: (max) => `Beschrijf het in je eigen woorden (hoogstens ${max} tekens). Bijvoorbeeld: een rode vlieger boven een groene heuvel.`,
  shapeLegend: 'Vorm',
  square: 'Vierkant',
  landscape: 'Liggend (breed)',
  portrait: 'Staand (hoog)',
  countLabel: 'Hoeveel tekeningen',
  generate: 'Maken',
  sending: 'Je idee wordt verstuurd…',
  galleryTitle: 'Jouw tekeningen',
  galleryEmpty: 'Hier komen jouw tekeningen.',
  placeholderBanner: 'Oefenstand: deze studio draait op een testcomputer, dus de tekeningen zijn voorbeeldplaatjes, geen echte tekeningen.',
  waiting: (position, seconds) =>
    position <= 1 && seconds <= 1 ? 'Jij bent de volgende, het begint zo' : `Je bent ${position}e in de rij, nog ongeveer ${aboutNl(seconds)}`,
  waitingToStart: 'Wachten tot het begint…',
  drawing: 'Bezig met tekenen…',
  drawingRetry: 'Bezig met tekenen… het is druk, we proberen het zo opnieuw.',
  done: (count) => (count === 1 ? 'Klaar! Hier is je tekening.' : `Klaar! Hier zijn je ${count} tekeningen.`),
  stopped: 'Deze is gestopt.',
  pictureWaiting: 'Wordt getekend…',
  pictureAlt: (index, prompt) => `Tekening ${index + 1}: ${prompt}`,
  previewAlt: (index) => `Tekening ${index + 1}, nog niet af`,
  revisedPrompt: (text) => `Wat er getekend is: ${text}`,
  download: (index) => `Download tekening ${index + 1}`,
  explain(code, source, innerCode) {
    if (code === 'PromptBlocked' && innerCode === 'SelfHarmSignal') {
      return 'Wat je schrijft, klinkt alsof het misschien niet goed met je gaat. Dat is belangrijk, en je hoeft het niet alleen te dragen. Deze tekening maken we niet, maar er zijn mensen met wie je kunt praten.';
    }
    switch (code) {
      case 'PromptBlocked':
        if (innerCode === 'Bullying') {
          return 'Deze tekening zou een echt iemand belachelijk maken. Zulke tekeningen kunnen pijn doen, ook als grapje. Maak een aardige tekening van die persoon — of verzin een eigen figuur.';
        }
        return 'Sommige woorden in je idee mogen niet voor schooltekeningen. Beschrijf het op een andere, vriendelijke manier — vertel wat je wél wilt zien.';
      case 'ContentFiltered':
        return source === 'output'
          ? 'De tekening paste niet bij school, dus we laten hem niet zien. Probeer het nog eens, of verander je idee een beetje.'
          : 'Dit idee wilde de tekenaar niet tekenen. Probeer andere woorden en beschrijf iets vriendelijks en veiligs.';
      case 'PromptTooLong':
        return 'Je idee is een beetje te lang. Probeer het in minder woorden te zeggen.';
      case 'MissingField':
        return 'Typ eerst wat er op de tekening moet staan.';
      case 'QuotaExceeded':
        return 'Je hebt vandaag al alle tekeningen gemaakt die mogen. Morgen kun je weer nieuwe maken!';
      case 'RateLimited':
        return 'Dat ging snel! Wacht even en probeer het dan opnieuw.';
      case 'ServiceBusy':
        return 'Er maken nu heel veel mensen tekeningen. Probeer het zo nog eens.';
      case 'SafetyCheckUnavailable':
        return 'We kunnen ideeën en tekeningen nu niet controleren, dus we kunnen ze ook niet laten zien. Probeer het over een tijdje opnieuw.';
      case 'SessionExpired':
        return 'Deze studiolink is verlopen. Vraag je leraar om de studio opnieuw te openen.';
      case 'SessionInvalid':
        return 'Deze studiolink werkt niet. Vraag je leraar om de studio opnieuw te openen.';
      default:
        return 'Er ging iets mis bij het maken van je tekening. Probeer het nog eens. Blijft het misgaan, vertel het dan je leraar.';
    }
  },
};

/** A wait as a child reads it: seconds up to a minute (in fives past ten), then whole minutes. */
function roundedWait(seconds: number): { unit: 'second' | 'minute'; count: number } {
  const whole = Math.max(1, Math.round(seconds));
  if (whole < 60) return { unit: 'second', count: whole <= 10 ? whole : Math.round(whole / 5) * 5 };
  return { unit: 'minute', count: Math.round(whole / 60) };
}

function aboutEn(seconds: number): string {
  const { unit, count } = roundedWait(seconds);
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

function aboutNl(seconds: number): string {
  const { unit, count } = roundedWait(seconds);
  return unit === 'second' ? `${count} ${count === 1 ? 'seconde' : 'seconden'}` : `${count} ${count === 1 ? 'minuut' : 'minuten'}`;
}

function ordinalEn(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** The session's language if the LMS set one, else the browser's first Dutch or English preference, else English. */
export function pickLocale(sessionLocale: string | undefined, browserLanguages: readonly string[]): Locale {
  if (sessionLocale === 'nl' || sessionLocale === 'en') return sessionLocale;
  for (const language of browserLanguages) {
    const primary = language.toLowerCase().split('-')[0];
    if (primary === 'nl' || primary === 'en') return primary;
  }
  return 'en';
}

export function stringsFor(locale: Locale): Strings {
  return locale === 'nl' ? nl : en;
}
