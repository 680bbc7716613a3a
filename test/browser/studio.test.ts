import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSessionTokens } from '../../shared/sessions/sessionTokens';
import { projectDir, startStack, statusTokenSecret, tenantA, tenantsSetting, type Stack } from '../../local/harness/stack';

/**
 * The studio in a real browser (Debian's Chromium, headless) against the local stack: a student opens the
 * link, types a prompt and watches the pictures arrive; blocked ideas get a kind sentence in Dutch or
 * English; axe-core finds no serious accessibility problem; a screenshot is kept for the README.
 * In-page code is passed as strings: the test compiles without the DOM types, and Playwright's evaluate is
 * not subject to the page's CSP, which stays in force for the page itself.
 */
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** Debian's Chromium (CI installs it); elsewhere point CHROMIUM_PATH at a Chrome or Chromium. */
const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const noBrowser = existsSync(executablePath) ? false : `no Chromium at ${executablePath} (install chromium, or set CHROMIUM_PATH)`;
const safeguarding = { contact: 'Mevrouw Jansen, vertrouwenspersoon', contactUrl: 'https://school.example/vertrouwenspersoon' };

describe('the studio page in a browser', { skip: noBrowser }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    [stack, browser] = await Promise.all([
      startStack({
        // School A names its safeguarding contact (TENANTS safeguarding), shown with the help lines.
        env: { TENANTS: JSON.stringify((JSON.parse(tenantsSetting()) as Array<{ id: string }>).map((tenant) => (tenant.id === tenantA.id ? { ...tenant, safeguarding } : tenant))) },
        // A generation that takes a moment, so the waiting and drawing states are on screen; a picture
        // the provider's filter blocks, for the kind explanation of a failed job.
        imageService: {
          rules: [
            { match: 'kite', fault: { kind: 'delay', ms: 1_500 } },
            { match: 'thunderstorm', fault: { kind: 'contentFilter', stage: 'output', category: 'violence' } },
            // A picture drawn slowly enough for the page to poll its partial images (3 s for 2 partials and the picture).
            { match: 'lighthouse', fault: { kind: 'pace', ms: 3_000 } },
          ],
        },
      }),
      chromium.launch({
        executablePath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      }),
    ]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function studioUrl(body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${stack.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', 'api-key': tenantA.key }, body: JSON.stringify(body) });
    assert.equal(response.status, 201);
    // The page is served on the host's own origin, as the link says.
    return String(((await response.json()) as { studioUrl: string }).studioUrl);
  }

  async function openStudio(url: string, options: { locale?: string; width?: number; height?: number } = {}): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true, locale: options.locale ?? 'en-GB', viewport: { width: options.width ?? 1000, height: options.height ?? 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    (page as Page & { problems?: string[] }).problems = problems;
    await page.goto(url);
    await page.waitForSelector('#make:not([hidden])');
    return page;
  }

  it('makes pictures: waiting, drawing, previews when the API gives them, then the pictures from their SAS links', async () => {
    const page = await openStudio(await studioUrl({ user: 'student-b1', locale: 'en', metadata: { classId: '7b' } }));
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
    assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
    assert.ok(await page.isVisible('#placeholder-banner'), 'local mode says the pictures are placeholders');

    // Every state the page shows, and whether a preview was ever drawn (recorded in the page as it happens).
    await page.evaluate(`(() => {
      window.__states = []; window.__sawPreview = false;
      new MutationObserver(() => {
        for (const state of document.querySelectorAll('.job .state')) if (!window.__states.includes(state.textContent)) window.__states.push(state.textContent);
        if (document.querySelector('img.preview[src]')) window.__sawPreview = true;
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    const answers: Array<Record<string, unknown>> = [];
    page.on('response', (response) => {
      if (/\/api\/jobs\/[0-9a-f-]{36}$/.test(response.url())) void response.json().then((body: Record<string, unknown>) => answers.push(body), () => undefined);
    });

    // By keyboard: type, Tab to the shapes and pick landscape, Tab to the count and pick 2, Tab to Generate, Enter.
    await page.focus('#prompt');
    await page.keyboard.type('A red kite above a green hill');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Tab');
    await page.selectOption('#count', '2');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.id'), 'generate');
    const submitted = page.waitForResponse((response) => response.url().endsWith('/api/jobs') && response.request().method() === 'POST');
    await page.keyboard.press('Enter');
    const submitBody = (await (await submitted).json()) as { request: { orientation: string; n: number } };
    assert.deepEqual([submitBody.request.orientation, submitBody.request.n], ['landscape', 2]);

    await page.waitForSelector('.job[data-status="Succeeded"]', { timeout: 30_000 });
    const pictures = await page.evaluate<Array<{ src: string; width: number; alt: string }>>(`Promise.all([...document.querySelectorAll('.job[data-status="Succeeded"] .picture img')].map(async (img) => {
      await img.decode().catch(() => undefined);
      return { src: img.src, width: img.naturalWidth, alt: img.alt };
    }))`);
    assert.equal(pictures.length, 2);
    const blobOrigin = new URL(stack.azurite.blobUrl).origin;
    for (const picture of pictures) {
      assert.equal(new URL(picture.src).origin, blobOrigin, 'loaded from the storage account');
      assert.ok(new URL(picture.src).searchParams.has('sig'), 'a SAS link');
      assert.ok(picture.width > 0, 'the picture loaded under the page\'s CSP');
      assert.match(picture.alt, /^Picture \d: A red kite/);
    }
    const states = await page.evaluate<string[]>('window.__states');
    assert.ok(states.some((text) => /^You're|^Waiting|^Drawing/.test(text)), `the job's progress was shown: ${states.join(' | ')}`);
    assert.ok(states.some((text) => text.startsWith('Done!')));
    // Download saves the file (storage sends it as an attachment), without leaving the studio.
    const download = page.waitForEvent('download');
    await page.click('text=Download picture 1');
    assert.equal((await download).suggestedFilename(), 'picture-1.png');
    assert.equal(new URL(page.url()).pathname, '/api/studio');

    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], 'no serious or critical accessibility problems');
    // The README's screenshot: kept in docs/ when asked for (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
    const screenshot = process.env['UPDATE_SCREENSHOTS'] === '1' ? path.join(projectDir, 'docs', 'studio.png') : path.join(os.tmpdir(), 'edu4all-studio.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.deepEqual((page as Page & { problems?: string[] }).problems, [], 'no script errors or CSP reports');

    // The gallery survives a reload (the token stays in this tab), and reads on a phone without sideways scrolling.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.reload();
    await page.waitForSelector('.job[data-status="Succeeded"] .picture img');
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true);
    await page.context().close();
  });

  it('shows the picture while it is drawn: a preview from the partial images, then the picture', async () => {
    const page = await openStudio(await studioUrl({ user: 'student-b4', locale: 'en' }));
    await page.evaluate(`(() => {
      window.__previews = [];
      new MutationObserver(() => {
        const preview = document.querySelector('img.preview[src]');
        if (preview && !window.__previews.includes(preview.src)) window.__previews.push(preview.src);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    const answers: Array<Record<string, unknown>> = [];
    page.on('response', (response) => {
      if (/\/api\/jobs\/[0-9a-f-]{36}$/.test(response.url())) void response.json().then((body: Record<string, unknown>) => answers.push(body), () => undefined);
    });
    await page.fill('#prompt', 'A lighthouse at dusk');
    await page.selectOption('#count', '1');
    await page.click('#generate');
    await page.waitForSelector('.job[data-status="Succeeded"] .picture img', { timeout: 30_000 });
    assert.ok(answers.some((body) => Array.isArray(body['previews']) && body['previews'].length > 0), 'the status carried previews while the picture was drawn');
    const previews = await page.evaluate<string[]>('window.__previews');
    assert.ok(previews.length >= 1, 'the page showed a preview');
    for (const src of previews) assert.ok(new URL(src).searchParams.has('sig'), 'each preview is a SAS link');
    assert.equal(await page.locator('.job[data-status="Succeeded"] img.preview').count(), 0, 'the picture replaced its preview');
    assert.deepEqual((page as Page & { problems?: string[] }).problems, [], 'no script errors or CSP reports');
    await page.context().close();
  });

  it('explains a blocked idea kindly, in Dutch and in English', async () => {
    // Dutch from the browser when the session names no language.
    const dutch = await openStudio(await studioUrl({ user: 'student-b2' }), { locale: 'nl-NL' });
    assert.equal(await dutch.evaluate('document.documentElement.lang'), 'nl');
    await dutch.fill('#prompt', 'een bloody sword');
    await dutch.click('#generate');
    await dutch.waitForSelector('#form-message.kind');
    const dutchText = await dutch.textContent('#form-message');
    assert.match(dutchText ?? '', /^Sommige woorden in je idee mogen niet voor schooltekeningen/);
    assert.doesNotMatch(dutchText ?? '', /PromptBlocked|error|sword/i, 'no codes, no error dump');
    assert.deepEqual(await axeViolations(dutch), []);
    await dutch.context().close();

    // English from the session, even in a Dutch browser; a picture the filter blocked after drawing.
    const english = await openStudio(await studioUrl({ user: 'student-b3', locale: 'en' }), { locale: 'nl-NL' });
    await english.fill('#prompt', 'a bloody sword');
    await english.click('#generate');
    await english.waitForSelector('#form-message.kind');
    assert.match((await english.textContent('#form-message')) ?? '', /^Some words in your idea are not allowed for school pictures/);
    await english.fill('#prompt', 'a thunderstorm over the sea');
    await english.click('#generate');
    await english.waitForSelector('.job[data-status="Failed"] .state.kind', { timeout: 30_000 });
    assert.match((await english.textContent('.job[data-status="Failed"] .state')) ?? '', /^The picture did not turn out right for school/);
    await english.context().close();
  });

  it('meets a self-harm signal with care and the help lines, in Dutch and in English, and no code or error', async () => {
    const cases = [
      {
        // Dutch from the browser; the school's own contact is added.
        page: await openStudio(await studioUrl({ user: 'student-b5' }), { locale: 'nl-NL' }),
        prompt: 'ik met sneetjes in mijn armen',
        opening: /^Wat je schrijft, klinkt alsof het misschien niet goed met je gaat\./,
        care: [/^Praat erover met iemand/, /De Kindertelefoon: bel gratis 0800-0432 of chat op kindertelefoon\.nl/, /8 tot 18 jaar/, /Bel dag en nacht gratis en anoniem 113 of 0800-0113, of chat op 113\.nl/, /Op school kun je terecht bij: Mevrouw Jansen, vertrouwenspersoon/, /krijgt hiervan een seintje, zodat er iemand met je kan praten\. Je bent niet in de problemen\./],
      },
      {
        // English from the session, even in a Dutch browser.
        page: await openStudio(await studioUrl({ user: 'student-b6', locale: 'en' }), { locale: 'nl-NL' }),
        prompt: 'me with cuts on my wrists',
        opening: /^What you wrote sounds like you might not be feeling okay\./,
        care: [/^Talk to someone/, /call 0800-0432 for free, or chat at kindertelefoon\.nl/, /aged 8 to 18/, /Call 113 or 0800-0113, free and anonymous, day and night, or chat at 113\.nl/, /At school you can talk to: Mevrouw Jansen/, /You are not in trouble\./],
      },
    ];
    for (const { page, prompt, opening, care } of cases) {
      await page.fill('#prompt', prompt);
      await page.click('#generate');
      await page.waitForSelector('#care:not([hidden])');
      const message = (await page.textContent('#form-message')) ?? '';
      const careText = (await page.textContent('#care')) ?? '';
      assert.match(message, opening);
      for (const line of care) assert.match(careText, line);
      for (const text of [message, careText]) {
        assert.doesNotMatch(text, /PromptBlocked|SelfHarmSignal|innererror|error|\{|sneetjes|wrists/i, 'no codes, no error dump, the prompt not repeated');
      }
      const links = await page.evaluate<string[]>(`[...document.querySelectorAll('#care a')].map((a) => a.getAttribute('href'))`);
      assert.deepEqual(links, ['tel:08000432', 'https://www.kindertelefoon.nl', 'tel:113', 'tel:08000113', 'https://www.113.nl', safeguarding.contactUrl, 'tel:112']);
      assert.deepEqual(await axeViolations(page), []);
      // The browser logs the refusal's 400 itself; anything else would be ours.
      const problems = ((page as Page & { problems?: string[] }).problems ?? []).filter((problem) => !/status of 400/.test(problem));
      assert.deepEqual(problems, [], 'no script errors or CSP reports');
    }
    // The next idea starts afresh: an ordinary blocked one gets the ordinary sentence and no help lines.
    const english = cases[1]?.page;
    assert.ok(english);
    await english.fill('#prompt', 'a bloody sword');
    await english.click('#generate');
    await english.waitForSelector('#form-message.kind');
    assert.match((await english.textContent('#form-message')) ?? '', /^Some words in your idea are not allowed for school pictures/);
    assert.equal(await english.isVisible('#care'), false);
    for (const { page } of cases) await page.context().close();
  });

  it('tells a student kindly when the link does not work or has expired, and shows no form', async () => {
    const expired = createSessionTokens([statusTokenSecret]).create({
      id: randomUUID(),
      tenantId: tenantA.id,
      user: 'student-expired',
      issuedOn: new Date(Date.now() - 3 * 3600_000),
      expiresOn: new Date(Date.now() - 60_000),
    });
    const cases: Array<[string, RegExp]> = [
      ['not-a-real-token', /^Deze studiolink werkt niet/],
      [expired, /^Deze studiolink is verlopen/],
      [`${expired.slice(0, -4)}AAAA`, /^Deze studiolink werkt niet/],
    ];
    for (const [token, message] of cases) {
      const page = await browser.newPage({ locale: 'nl-NL' });
      await page.goto(`${stack.url}/api/studio#session=${token}`);
      await page.waitForSelector('#session-problem:not([hidden])');
      assert.match((await page.textContent('#session-problem')) ?? '', message);
      // The form's hidden attribute must win over the stylesheet: no dead form with a Generate button.
      assert.equal(await page.isVisible('#make'), false, 'the form is hidden');
      assert.equal(await page.locator('#make button').first().isVisible(), false, 'no Generate button');
      await page.close();
    }
  });
});

/** axe-core's serious and critical violations (WCAG 2 A/AA and best practice), as "rule: n nodes". */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate<Array<{ id: string; impact: string | null; nodes: number }>>(
    `axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`,
  );
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes} nodes`);
}
