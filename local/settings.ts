import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * local.settings.json as Core Tools reads it: its "Values" become environment variables, but a variable
 * already set in the environment wins. The file is git-ignored; local.settings.example.json is the
 * committed template that `npm start` copies on first run.
 */
export const settingsFileName = 'local.settings.json';
export const exampleSettingsFileName = 'local.settings.example.json';

export function readLocalSettings(projectDir: string): Record<string, string> {
  const file = path.join(projectDir, settingsFileName);
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(parsed.Values ?? {}).map(([key, value]) => [key, String(value)]));
}

export function applyLocalSettings(projectDir: string, env: NodeJS.ProcessEnv = process.env): void {
  for (const [key, value] of Object.entries(readLocalSettings(projectDir))) {
    if (env[key] === undefined) env[key] = value;
  }
}
