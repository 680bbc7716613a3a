import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run test:unit`: the tests that run in this one process, in seconds, for the answer a one-line change
 * wants. `npm test` still runs everything.
 *
 * A test file belongs to the unit layer unless it is under test/integration/ or test/browser/ (whole stacks by
 * design), or its source starts something: a stack part (Azurite, the image service, the Content Safety
 * stand-in, a host process), the chaos run, or a process of its own. Reading the source as well as the folder
 * keeps the split right as files are added elsewhere: such a test is left out the moment it calls the harness.
 */

const projectDir = path.resolve(__dirname, '..', '..');

/** Folders whose tests run through whole stacks. */
const stackFolders = ['integration', 'browser'];

/** What a file that is not in-process says in its source: the harness's starters, the chaos run, or a child process. */
const startsSomething = /\b(startStack|startAzurite|startHostProcess|startImageService|startContentSafetyService|runChaos)\b|node:child_process/;

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testSources(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function isUnitTest(root: string, source: string): boolean {
  const inStackFolder = stackFolders.some((folder) => source.startsWith(path.join(root, 'test', folder) + path.sep));
  return !inStackFolder && !startsSomething.test(readFileSync(source, 'utf8'));
}

function compiled(root: string, sources: string[]): string[] {
  return sources.map((source) => path.join(root, 'dist', path.relative(root, source)).replace(/\.ts$/, '.js')).sort();
}

/** The unit layer's compiled test files (dist/test/…/*.test.js), sorted. */
export function unitTestFiles(root: string = projectDir): string[] {
  return compiled(root, testSources(path.join(root, 'test')).filter((source) => isUnitTest(root, source)));
}

/** Every other compiled test file: the ones that start Azurite, a stand-in, a host or a process (npm test runs them too). */
export function stackTestFiles(root: string = projectDir): string[] {
  return compiled(root, testSources(path.join(root, 'test')).filter((source) => !isUnitTest(root, source)));
}

function main(): void {
  const files = unitTestFiles();
  // One process for all files (test isolation 'none'): a Node process per file, each loading zod and the Azure
  // SDKs again, took about 25 s for these files on a 2-core machine, one process 7-9 s. So a unit test leaves
  // no global state behind (environment, timers, servers), as mocha's tests must.
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', '--test', '--experimental-test-isolation=none', '--test-reporter=spec', ...process.argv.slice(2), ...files],
    { stdio: 'inherit' },
  );
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

if (require.main === module) main();
