import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The app's entry points, as the worker finds them: package.json `main` names the compiled function
 * files ("dist/functions/*.js", "{a,b}.js" or a plain path), and loading them runs their registrations.
 */

/** Expands package.json `main` ("dist/functions/*.js", "{a,b}.js" or a plain path) to files. */
export function expandEntryPoints(projectDir: string, pattern: string): string[] {
  const braces = /\{([^}]+)\}/.exec(pattern);
  if (braces) {
    return (braces[1] ?? '')
      .split(',')
      .flatMap((option) => expandEntryPoints(projectDir, pattern.replace(braces[0], option.trim())));
  }
  if (!pattern.includes('*')) return [path.resolve(projectDir, pattern)];
  const dir = path.resolve(projectDir, path.dirname(pattern));
  const fileRegex = new RegExp(`^${path.basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return readdirSync(dir)
    .filter((file) => fileRegex.test(file))
    .sort()
    .map((file) => path.join(dir, file));
}

/** Loads every entry point named by package.json `main`; returns the files loaded. */
export function loadEntryPoints(projectDir: string): string[] {
  const packageJson = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as { main?: string };
  if (!packageJson.main) throw new Error('package.json has no "main" naming the function entry points.');
  const files = expandEntryPoints(projectDir, packageJson.main);
  for (const file of files) {
    // The entry points are CommonJS files chosen at run time, as the worker loads them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  }
  return files;
}
