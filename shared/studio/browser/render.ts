import type { Strings } from './i18n.js';

/**
 * A job as the page draws it: one list item with the prompt, a line saying where the job is, and one
 * figure per picture (a striped frame, then each preview as it sharpens, then the picture). Text goes in
 * with textContent only, so nothing from the API is ever parsed as HTML.
 */

export interface JobImage {
  readonly url: string;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
  readonly revisedPrompt?: string;
  /** The same picture served as an attachment, so the browser saves it. */
  readonly downloadUrl?: string;
}

export interface JobPreview {
  readonly index: number;
  readonly url: string;
  readonly receivedDateTime?: string;
}

export interface JobView {
  readonly id: string;
  readonly status: 'NotStarted' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';
  readonly request?: { readonly prompt?: string; readonly n?: number; readonly size?: string };
  readonly queue?: { readonly position: number; readonly estimatedStartDateTime: string };
  readonly nextAttemptDateTime?: string;
  readonly previews?: readonly JobPreview[];
  readonly result?: { readonly images: readonly JobImage[] };
  readonly error?: { readonly code?: string; readonly source?: string };
}

export function isFinished(job: JobView): boolean {
  return job.status === 'Succeeded' || job.status === 'Failed' || job.status === 'Canceled';
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The line under the prompt, and whether it is a kind explanation (styled to stand out). */
export function stateLine(job: JobView, strings: Strings, now: number = Date.now()): { text: string; explanation: boolean } {
  switch (job.status) {
    case 'NotStarted': {
      if (!job.queue) return { text: strings.waitingToStart, explanation: false };
      const seconds = Math.round((Date.parse(job.queue.estimatedStartDateTime) - now) / 1000);
      return { text: strings.waiting(job.queue.position, Math.max(0, seconds)), explanation: false };
    }
    case 'Running':
      return { text: job.nextAttemptDateTime ? strings.drawingRetry : strings.drawing, explanation: false };
    case 'Succeeded':
      return { text: strings.done(job.result?.images.length ?? 0), explanation: false };
    case 'Canceled':
      return { text: strings.stopped, explanation: false };
    case 'Failed':
      return { text: strings.explain(job.error?.code, job.error?.source), explanation: true };
  }
}

/** Creates the list item of a job, or updates the one already on the page (keeping images that have not changed). */
export function renderJob(item: HTMLLIElement, job: JobView, strings: Strings): void {
  item.className = 'job';
  item.dataset['jobId'] = job.id;
  item.dataset['status'] = job.status;
  const prompt = job.request?.prompt ?? '';
  let heading = item.querySelector<HTMLParagraphElement>('.prompt');
  if (!heading) {
    heading = element('p', 'prompt');
    item.append(heading);
  }
  heading.textContent = prompt;
  let state = item.querySelector<HTMLParagraphElement>('.state');
  if (!state) {
    state = element('p', 'state');
    // Each job's progress is announced as it changes, without moving the keyboard focus.
    state.setAttribute('role', 'status');
    item.append(state);
  }
  const line = stateLine(job, strings);
  state.textContent = line.text;
  state.classList.toggle('kind', line.explanation);

  const count = job.status === 'Succeeded' ? (job.result?.images.length ?? 0) : job.status === 'Failed' || job.status === 'Canceled' ? 0 : (job.request?.n ?? 1);
  let pictures = item.querySelector<HTMLUListElement>('.pictures');
  if (!pictures) {
    pictures = element('ul', 'pictures');
    item.append(pictures);
  }
  while (pictures.children.length > count) pictures.lastElementChild?.remove();
  const ratio = ratioOf(job.request?.size);
  for (let index = 0; index < count; index++) {
    let slot = pictures.children.item(index) as HTMLLIElement | null;
    if (!slot) {
      slot = element('li', 'picture');
      pictures.append(slot);
    }
    if (ratio) slot.style.setProperty('--ratio', ratio);
    const image = job.result?.images[index];
    const preview = job.previews?.find((p) => p.index === index);
    if (image) showPicture(slot, image, index, prompt, strings);
    else if (preview && job.status === 'Running') showPreview(slot, preview, index, strings);
    else showFrame(slot, strings);
  }
}

function ratioOf(size: string | undefined): string | undefined {
  const match = /^(\d+)x(\d+)$/.exec(size ?? '');
  return match ? `${match[1]} / ${match[2]}` : undefined;
}

function showFrame(slot: HTMLLIElement, strings: Strings): void {
  if (slot.dataset['shows'] === 'frame') return;
  slot.replaceChildren(element('div', 'frame', strings.pictureWaiting));
  slot.dataset['shows'] = 'frame';
}

/** A newer preview swaps the src of the same img, so the picture sharpens in place. */
function showPreview(slot: HTMLLIElement, preview: JobPreview, index: number, strings: Strings): void {
  const key = `${preview.url}|${preview.receivedDateTime ?? ''}`;
  if (slot.dataset['shows'] === 'preview' && slot.dataset['key'] === key) return;
  let img = slot.dataset['shows'] === 'preview' ? slot.querySelector('img') : null;
  if (!img) {
    img = element('img', 'preview');
    slot.replaceChildren(img);
  }
  img.alt = strings.previewAlt(index);
  img.src = preview.url;
  slot.dataset['shows'] = 'preview';
  slot.dataset['key'] = key;
}

function showPicture(slot: HTMLLIElement, image: JobImage, index: number, prompt: string, strings: Strings): void {
  if (slot.dataset['shows'] === 'picture' && slot.dataset['key'] === image.url) return;
  const figure = element('figure');
  const img = element('img');
  img.src = image.url;
  img.alt = strings.pictureAlt(index, prompt);
  img.width = image.width;
  img.height = image.height;
  img.decoding = 'async';
  figure.append(img);
  const caption = element('figcaption');
  if (image.revisedPrompt) caption.append(element('span', 'revised', strings.revisedPrompt(image.revisedPrompt)), document.createElement('br'));
  const link = element('a', undefined, strings.download(index));
  // The picture is on the storage account's origin, where a browser ignores `download`: the download link
  // asks storage itself to send it as an attachment. Without one, a new tab shows it to be saved from there.
  if (image.downloadUrl) {
    link.href = image.downloadUrl;
  } else {
    link.href = image.url;
    link.target = '_blank';
  }
  link.rel = 'noopener noreferrer';
  caption.append(link);
  figure.append(caption);
  slot.replaceChildren(figure);
  slot.dataset['shows'] = 'picture';
  slot.dataset['key'] = image.url;
}
