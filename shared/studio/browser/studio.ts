import { pickLocale, stringsFor, type Strings } from './i18n.js';
import { isFinished, renderJob, type JobView } from './render.js';

/**
 * The studio page: reads its session token from the URL fragment (never sent to a server), keeps it for
 * this tab only, and talks to the API with it in the Authorization header. Submits a prompt, follows the
 * job (waiting line, previews, pictures) at the pace the API's Retry-After asks, and keeps this session's
 * pictures in the gallery.
 */

interface SessionInfo {
  readonly locale?: string;
  readonly placeholderPictures: boolean;
  readonly maxImagesPerJob: number;
  readonly promptMaxChars: number;
}

interface ApiError {
  readonly error?: { readonly code?: string; readonly innererror?: { readonly code?: string } };
}

const storageKey = 'edu4all.studio.session';

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    /** innererror.code: why, more precisely (a blocked prompt's reason), for a kinder sentence. */
    readonly innerCode: string | undefined = undefined,
  ) {
    super(`API answered ${status}${code ? ` ${code}` : ''}`);
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

/** The token from #session=…, moved to this tab's storage and out of the address bar (screenshots, shoulder-surfing). */
function takeSessionToken(): string | undefined {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('session');
  if (fromFragment) {
    sessionStorage.setItem(storageKey, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
    return fromFragment;
  }
  return sessionStorage.getItem(storageKey) ?? undefined;
}

async function call<T>(token: string, path: string, init: RequestInit = {}): Promise<{ body: T; retryAfter: number | undefined }> {
  const response = await fetch(path, {
    ...init,
    headers: { ...(init.body ? { 'Content-Type': 'application/json' } : {}), Authorization: `Bearer ${token}` },
    cache: 'no-store',
    credentials: 'omit',
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  if (!response.ok) throw new ApiFailure(response.status, (body as ApiError).error?.code, (body as ApiError).error?.innererror?.code);
  const retryAfter = Number(response.headers.get('retry-after'));
  return { body: body as T, retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined };
}

function applyStrings(strings: Strings, info: SessionInfo | undefined): void {
  document.documentElement.lang = strings.lang;
  document.title = strings.title;
  const text: Record<string, string> = {
    title: strings.title,
    'prompt-label': strings.promptLabel,
    'shape-legend': strings.shapeLegend,
    'shape-square': strings.square,
    'shape-landscape': strings.landscape,
    'shape-portrait': strings.portrait,
    'count-label': strings.countLabel,
    generate: strings.generate,
    'gallery-title': strings.galleryTitle,
    'gallery-empty': strings.galleryEmpty,
    'placeholder-banner': strings.placeholderBanner,
  };
  for (const [id, value] of Object.entries(text)) byId(id).textContent = value;
  if (info) byId('prompt-hint').textContent = strings.promptHint(info.promptMaxChars);
}

function showSessionProblem(strings: Strings, code: string | undefined): void {
  const problem = byId('session-problem');
  problem.textContent = strings.explain(code ?? 'SessionInvalid');
  problem.hidden = false;
  byId('make').hidden = true;
}

async function main(): Promise<void> {
  let strings = stringsFor(pickLocale(undefined, navigator.languages));
  applyStrings(strings, undefined);
  const token = takeSessionToken();
  if (!token) return showSessionProblem(strings, 'SessionInvalid');

  let info: SessionInfo;
  try {
    info = (await call<SessionInfo>(token, '/api/sessions/current')).body;
  } catch (error) {
    return showSessionProblem(strings, error instanceof ApiFailure ? (error.status === 401 ? error.code : 'Unavailable') : 'Unavailable');
  }
  strings = stringsFor(pickLocale(info.locale, navigator.languages));
  applyStrings(strings, info);
  byId('placeholder-banner').hidden = !info.placeholderPictures;

  const form = byId<HTMLFormElement>('make');
  const prompt = byId<HTMLTextAreaElement>('prompt');
  const count = byId<HTMLSelectElement>('count');
  const button = byId<HTMLButtonElement>('generate');
  const message = byId('form-message');
  const jobsList = byId<HTMLOListElement>('jobs');
  const empty = byId('gallery-empty');
  prompt.maxLength = info.promptMaxChars;
  count.replaceChildren(
    ...Array.from({ length: info.maxImagesPerJob }, (_, i) => {
      const option = document.createElement('option');
      option.value = option.textContent = String(i + 1);
      return option;
    }),
  );
  form.hidden = false;

  const itemFor = (job: JobView, atTop: boolean): HTMLLIElement => {
    let item = jobsList.querySelector<HTMLLIElement>(`li[data-job-id="${CSS.escape(job.id)}"]`);
    if (!item) {
      item = document.createElement('li');
      if (atTop) jobsList.prepend(item);
      else jobsList.append(item);
    }
    renderJob(item, job, strings);
    empty.hidden = jobsList.children.length > 0;
    return item;
  };

  const follow = async (job: JobView, retryAfter: number | undefined): Promise<void> => {
    let current = job;
    let wait = retryAfter;
    while (!isFinished(current)) {
      // As often as the API asks (1 s while previews come), never slower than every 5 s for a child watching.
      await new Promise((resolve) => setTimeout(resolve, Math.min(5, Math.max(1, wait ?? 2)) * 1000));
      try {
        const answer = await call<JobView>(token, `/api/jobs/${encodeURIComponent(current.id)}`);
        current = answer.body;
        wait = answer.retryAfter;
        itemFor(current, true);
      } catch (error) {
        if (error instanceof ApiFailure && error.status === 401) return showSessionProblem(strings, error.code);
        if (error instanceof ApiFailure && error.status === 404) {
          // Erased by the school (right to erasure) while the page followed it: it leaves the gallery.
          jobsList.querySelector(`li[data-job-id="${CSS.escape(current.id)}"]`)?.remove();
          empty.hidden = jobsList.children.length > 0;
          return;
        }
        wait = 5;
      }
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    message.textContent = '';
    message.classList.remove('kind');
    const text = prompt.value.trim();
    if (!text) {
      message.textContent = strings.explain('MissingField');
      message.classList.add('kind');
      prompt.focus();
      return;
    }
    const shape = new FormData(form).get('shape');
    button.disabled = true;
    message.textContent = strings.sending;
    call<JobView>(token, '/api/jobs', { method: 'POST', body: JSON.stringify({ prompt: text, orientation: shape, n: Number(count.value) }) })
      .then(({ body, retryAfter }) => {
        message.textContent = '';
        itemFor(body, true);
        void follow(body, retryAfter);
      })
      .catch((error: unknown) => {
        const code = error instanceof ApiFailure ? error.code : undefined;
        if (error instanceof ApiFailure && error.status === 401) return showSessionProblem(strings, code);
        message.textContent = strings.explain(code, undefined, error instanceof ApiFailure ? error.innerCode : undefined);
        message.classList.add('kind');
      })
      .finally(() => {
        button.disabled = false;
      });
  });

  try {
    const { body } = await call<{ value: JobView[] }>(token, '/api/sessions/current/jobs');
    for (const job of body.value) {
      itemFor(job, false);
      if (!isFinished(job)) void follow(job, undefined);
    }
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) return showSessionProblem(strings, error.code);
  }
  empty.hidden = jobsList.children.length > 0;
}

void main();
