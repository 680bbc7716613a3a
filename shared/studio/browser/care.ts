import type { Locale } from './i18n.js';

/**
 * What a child sees when their idea carried a self-harm signal (innererror SelfHarmSignal): not a rule they
 * broke, but that it matters how they feel, where they can talk to someone today (help lines a child in the
 * Netherlands can reach, free and anonymous, as links they can tap), who at school they can go to if the
 * school named someone (TENANTS safeguarding), and, honestly, that someone at school will hear of it.
 *
 * Why tell the child: safeguarding practice is never to promise a secret that will not be kept, and to say
 * what happens next. Said as care ("so someone can talk with you", "you are not in trouble"), not as a
 * warning, so the child is not frightened into hiding it next time. docs/safety.md (Safeguarding) gives
 * the sources of the numbers, which the operator should check on kindertelefoon.nl and 113.nl.
 */

export interface SafeguardingContact {
  readonly contact?: string;
  readonly contactUrl?: string;
}

/** A piece of a sentence: text, or text that is a link. */
type Part = string | { readonly text: string; readonly href: string };

interface CareStrings {
  readonly title: string;
  readonly lines: readonly (readonly Part[])[];
  readonly atSchool: string;
  readonly schoolIsTold: string;
  readonly danger: readonly Part[];
}

const kindertelefoonPhone = { text: '0800-0432', href: 'tel:08000432' };
const kindertelefoonChat = { text: 'kindertelefoon.nl', href: 'https://www.kindertelefoon.nl' };
const phone113 = { text: '113', href: 'tel:113' };
const phone0800113 = { text: '0800-0113', href: 'tel:08000113' };
const chat113 = { text: '113.nl', href: 'https://www.113.nl' };
const emergency = { text: '112', href: 'tel:112' };

const care: Record<Locale, CareStrings> = {
  nl: {
    title: 'Praat erover met iemand',
    lines: [
      ['De Kindertelefoon: bel gratis ', kindertelefoonPhone, ' of chat op ', kindertelefoonChat, '. Je hoeft je naam niet te zeggen. Voor kinderen en jongeren van 8 tot 18 jaar.'],
      ['113 Zelfmoordpreventie: denk je aan zelfdoding? Bel dag en nacht gratis en anoniem ', phone113, ' of ', phone0800113, ', of chat op ', chat113, '.'],
    ],
    atSchool: 'Op school kun je terecht bij: ',
    schoolIsTold: 'Iemand van school (je juf, meester of mentor) krijgt hiervan een seintje, zodat er iemand met je kan praten. Je bent niet in de problemen.',
    danger: ['Ben je nu in gevaar? Bel ', emergency, '.'],
  },
  en: {
    title: 'Talk to someone',
    lines: [
      ['De Kindertelefoon (the children\'s helpline): call ', kindertelefoonPhone, ' for free, or chat at ', kindertelefoonChat, '. You don\'t have to say your name. For children and young people aged 8 to 18.'],
      ['113 Suicide Prevention: are you thinking about ending your life? Call ', phone113, ' or ', phone0800113, ', free and anonymous, day and night, or chat at ', chat113, '.'],
    ],
    atSchool: 'At school you can talk to: ',
    schoolIsTold: 'Someone at school (your teacher or mentor) will get a message about this, so that someone can talk with you. You are not in trouble.',
    danger: ['Are you in danger right now? Call ', emergency, '.'],
  },
};

function link(text: string, href: string): HTMLAnchorElement {
  const anchor = document.createElement('a');
  anchor.href = href;
  anchor.textContent = text;
  // A chat opens beside the studio, so the child does not lose the page; a phone link needs no tab.
  if (href.startsWith('https:')) {
    anchor.target = '_blank';
    anchor.rel = 'noopener noreferrer';
  }
  return anchor;
}

function paragraph(parts: readonly Part[]): HTMLParagraphElement {
  const p = document.createElement('p');
  p.append(...parts.map((part) => (typeof part === 'string' ? part : link(part.text, part.href))));
  return p;
}

/** Fills the care section: the help lines, the school's own contact if it named one, and what happens next. */
export function renderCare(section: HTMLElement, locale: Locale, contact: SafeguardingContact | undefined): void {
  const strings = care[locale];
  const title = document.createElement('h2');
  title.id = 'care-title';
  title.textContent = strings.title;
  const list = document.createElement('ul');
  for (const line of strings.lines) {
    const item = document.createElement('li');
    item.append(paragraph(line));
    list.append(item);
  }
  if (contact?.contact !== undefined || contact?.contactUrl !== undefined) {
    const item = document.createElement('li');
    const text = contact.contact ?? contact.contactUrl ?? '';
    item.append(paragraph([strings.atSchool, contact.contactUrl !== undefined ? { text, href: contact.contactUrl } : text]));
    list.append(item);
  }
  section.replaceChildren(title, list, paragraph([strings.schoolIsTold]), paragraph(strings.danger));
  section.setAttribute('aria-labelledby', title.id);
  section.hidden = false;
}
