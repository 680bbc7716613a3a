import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectDir } from '../../local/harness/stack';

/**
 * The README is short and the reference lives in docs/, so a moved section or a renamed heading would leave a
 * link that goes nowhere. Every relative link in the README, CONTRIBUTING.md and docs/ must reach a file, and
 * its #anchor a heading of that file; every page of docs/ must be linked from the README.
 */

/** Pages linked before they exist (none now: docs/operations.md landed with issue 25). */
const pendingPages = new Set<string>();

const read = (file: string) => readFileSync(path.join(projectDir, file), 'utf8');
/** Pages that tools write and git ignores (`npm run bench -- --quick` writes docs/benchmarks-quick.md): not the docs. */
const ignoredPages = new Set(
  read('.gitignore')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('docs/') && line.endsWith('.md')),
);
const docsPages = readdirSync(path.join(projectDir, 'docs'))
  .filter((file) => file.endsWith('.md'))
  .map((file) => `docs/${file}`)
  .filter((page) => !ignoredPages.has(page));
const markdownFiles = ['README.md', 'CONTRIBUTING.md', ...docsPages];

/** Markdown with its fenced code blocks blanked out: a `# comment` in a bash block is not a heading. */
function outsideCode(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** The anchors GitHub gives a file's headings (github-slugger: lower-case, punctuation dropped, spaces to dashes, repeats numbered). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideCode(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative link targets (`[text](target)` and `![alt](target)`), resolved against the linking file. */
function relativeLinks(file: string): Array<{ target: string; page: string; anchor: string | undefined }> {
  const links: Array<{ target: string; page: string; anchor: string | undefined }> = [];
  for (const line of outsideCode(read(file))) {
    for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [pagePart = '', anchor] = target.split('#');
      const page = pagePart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pagePart));
      links.push({ target, page, anchor });
    }
  }
  return links;
}

describe('the links of the README and docs/', () => {
  for (const file of markdownFiles) {
    it(`${file}: every relative link reaches a file and a heading`, () => {
      for (const { target, page, anchor } of relativeLinks(file)) {
        if (pendingPages.has(page) && !existsSync(path.join(projectDir, page))) continue;
        assert.ok(existsSync(path.join(projectDir, page)), `${file} links ${target}, and ${page} does not exist`);
        if (anchor === undefined || !page.endsWith('.md')) continue;
        assert.ok(anchorsOf(read(page)).has(anchor), `${file} links ${target}, and ${page} has no heading with the anchor #${anchor}`);
      }
    });
  }

  it('the README links every page of docs/', () => {
    const linked = new Set(relativeLinks('README.md').map((link) => link.page));
    for (const page of docsPages) assert.ok(linked.has(page), `README.md does not link ${page}`);
    for (const page of pendingPages) assert.ok(linked.has(page), `README.md does not link ${page}`);
  });
});
