import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The studio page's files, served by the app itself (functions/studio.ts) so the page and the API share
 * one origin: no CORS, and the session token only ever goes to the API that issued it. The HTML and CSS
 * live as files beside the code (shared/studio/page/); the browser TypeScript is compiled by its own
 * tsconfig into dist/shared/studio/browser/. Read once per process, answered from memory.
 */

export interface StudioAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag of the content, so a browser revalidates cheaply (the names carry no hash). */
  readonly etag: string;
}

/** Compiled code runs from dist/shared/studio; the page's sources are in shared/studio/page. */
const pageDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'studio', 'page');
const browserDir = path.resolve(__dirname, 'browser');

/** Every file the page may load, by the name in its URL; nothing else is served. */
const files: Record<string, { readonly dir: string; readonly contentType: string }> = {
  'studio.html': { dir: pageDir, contentType: 'text/html; charset=utf-8' },
  'studio.css': { dir: pageDir, contentType: 'text/css; charset=utf-8' },
  'studio.js': { dir: browserDir, contentType: 'text/javascript; charset=utf-8' },
  'i18n.js': { dir: browserDir, contentType: 'text/javascript; charset=utf-8' },
  'render.js': { dir: browserDir, contentType: 'text/javascript; charset=utf-8' },
  'care.js': { dir: browserDir, contentType: 'text/javascript; charset=utf-8' },
};

export function loadStudioAssets(): ReadonlyMap<string, StudioAsset> {
  const assets = new Map<string, StudioAsset>();
  for (const [name, file] of Object.entries(files)) {
    const body = readFileSync(path.join(file.dir, name));
    assets.set(name, { body, contentType: file.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/**
 * Headers for every studio answer. The CSP allows scripts and styles from this origin only (no inline
 * script, so an injected tag cannot run), pictures from here and from the storage account that serves the
 * SAS links, and calls to this origin only. No referrer, so even a link's own URL stays on the page.
 */
export function studioHeaders(asset: Pick<StudioAsset, 'contentType' | 'etag'>, storageOrigin: string): Record<string, string> {
  return {
    'Content-Type': asset.contentType,
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' ${storageOrigin} blob: data:`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // Revalidated on every load (cheap with the ETag), so a deployment reaches every open page at once.
    'Cache-Control': 'no-cache',
    ETag: asset.etag,
  };
}
