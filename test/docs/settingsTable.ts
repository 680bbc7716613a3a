import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { projectDir } from '../../local/harness/stack';

/** The reference page that holds the settings table; the README links it. */
export const settingsPage = 'docs/configuration.md';

/**
 * The rows of the settings table in docs/configuration.md: each setting name (a row may name several, e.g.
 * `OPENAI_API_KEY`, `OPENAI_BASE_URL`) with its default cell. Only the table under the `| setting |` header
 * is read: the page's other tables (host.json's values) also start rows with a backticked name.
 */
export function documentedSettings(): Map<string, string> {
  const rows = new Map<string, string>();
  let inTable = false;
  for (const line of readFileSync(path.join(projectDir, settingsPage), 'utf8').split('\n')) {
    if (/^\|\s*setting\s*\|\s*default\s*\|/.test(line)) {
      inTable = true;
      continue;
    }
    if (!line.startsWith('|')) inTable = false;
    if (!inTable) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    for (const name of (cells[1] ?? '').matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) rows.set(name[1] ?? '', cells[2] ?? '');
  }
  return rows;
}

/** The app settings that functions/ names in binding expressions ('%NAME%'): the host reads them, not shared/config. */
export function bindingExpressionSettings(): string[] {
  const functionsDir = path.join(projectDir, 'functions');
  const source = readdirSync(functionsDir)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(path.join(functionsDir, file), 'utf8'))
    .join('\n');
  return [...source.matchAll(/'%([A-Za-z_][A-Za-z0-9_]*)%'/g)].map((match) => match[1] ?? '');
}
