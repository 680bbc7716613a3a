import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { projectDir, startHostProcess, startStack, type Stack } from '../../local/harness/stack';

/**
 * What `npm ci --omit=dev` leaves must run the app: `sharp` was imported by the worker but listed under
 * devDependencies, so a production install lost it. Checked twice: statically (every package the built
 * functions import, followed through our own modules, is a runtime dependency) and by starting a host from
 * a copy of the build whose node_modules holds only the lockfile's non-dev packages, then running a job.
 */
interface PackageJson {
  readonly main: string;
  readonly dependencies: Record<string, string>;
}
const packageJson = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as PackageJson;

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Every bare specifier required by these compiled files and by the project files they require, transitively. */
function packagesImportedFrom(entryFiles: readonly string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [...entryFiles];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
      const specifier = match[1] ?? '';
      if (specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(file), specifier);
        queue.push(existsSync(`${target}.js`) ? `${target}.js` : path.join(target, 'index.js'));
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        packages.set(packageOf(specifier), path.relative(projectDir, file));
      }
    }
  }
  return packages;
}

describe('a production install (npm ci --omit=dev)', () => {
  const functionsDir = path.join(projectDir, 'dist', 'functions');
  const entryFiles = readdirSync(functionsDir)
    .filter((name) => name.endsWith('.js'))
    .map((name) => path.join(functionsDir, name));

  it('has every package the functions import at run time among the dependencies', () => {
    const imported = packagesImportedFrom(entryFiles);
    assert.ok(imported.has('@azure/functions') && imported.has('openai'), 'the walk reaches the SDKs');
    // The Functions worker provides this one in Azure (and local/host does here).
    imported.delete('@azure/functions-core');
    const missing = [...imported].filter(([name]) => packageJson.dependencies[name] === undefined).map(([name, from]) => `${name} (from ${from})`);
    assert.deepEqual(missing, [], 'imported at run time but not a runtime dependency');
  });

  describe('started from a copy with only the runtime packages', () => {
    let stack: Stack | undefined;
    const copy = mkdtempSync(path.join(os.tmpdir(), 'edu4all-production-'));
    after(async () => {
      await stack?.stop();
      rmSync(copy, { recursive: true, force: true });
    });

    it('starts a host and finishes a job', async () => {
      // What a deployment holds (.funcignore): the build, and shared/ for its resources and the studio page.
      for (const dir of ['dist', 'shared']) cpSync(path.join(projectDir, dir), path.join(copy, dir), { recursive: true });
      for (const file of ['package.json', 'host.json']) cpSync(path.join(projectDir, file), path.join(copy, file));
      // The lockfile marks what --omit=dev leaves out; link the rest (nested copies live inside their parents).
      const lock = JSON.parse(readFileSync(path.join(projectDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
      mkdirSync(path.join(copy, 'node_modules', '@azure'), { recursive: true });
      for (const [location, entry] of Object.entries(lock.packages)) {
        if (!location.startsWith('node_modules/') || location.lastIndexOf('node_modules/') !== 0 || entry.dev === true) continue;
        const source = path.join(projectDir, location);
        if (!existsSync(source)) continue; // an optional package for another platform
        mkdirSync(path.dirname(path.join(copy, location)), { recursive: true });
        symlinkSync(source, path.join(copy, location), 'dir');
      }
      assert.equal(existsSync(path.join(copy, 'node_modules', 'azurite')), false, 'dev packages are left out');

      stack = await startStack({ hosts: 0 });
      stack.hosts.push(await startHostProcess(stack.env, { projectDir: copy }));
      const submitted = await stack.submit({ prompt: 'A lighthouse on a cliff at dawn' });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const job = await stack.waitForJob(String(submitted.body.id));
      assert.equal(job.status, 'Succeeded', JSON.stringify(job));
    });
  });
});
