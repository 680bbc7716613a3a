import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { stackTestFiles, unitTestFiles } from './unitTests';

/**
 * `npm test` (after the build): every test, in two runs. First the unit layer in one Node process, as
 * `npm run test:unit` runs it (local/unitTests.ts); then the files that start Azurite, stand-ins, hosts or
 * processes, one Node process each and several at once. Options (`--test-name-pattern=…`,
 * `--test-concurrency=1`) are passed on to both runs.
 *
 * Several stack files at once: each stack file spends most of its time waiting (on a host's queue polling,
 * a stand-in's latency, a retry's back-off, a sleep before checking nothing happened), not computing, and
 * each starts its own Azurite, stand-ins and hosts on free ports with storage of its own, so files share
 * nothing. node --test's default is one file at a time on a 2-core machine (cores - 1).
 */

const projectDir = path.resolve(__dirname, '..', '..');

/** Two stack files per core: more made the CPU-heavy bursts (60 jobs with previews) slower than they saved. */
const stackConcurrency = Math.max(2, availableParallelism() * 2);

/**
 * The longest stack files, longest first (measured one at a time, December 2026), so that they start at once
 * and no long file is left to run alone at the end. The rest follow in name order.
 */
const longestFirst = [
  'test/integration/privacyErasureCrash.test.js',
  'test/integration/reliability.test.js',
  'test/integration/twoHosts.test.js',
  'test/integration/outputCheck.test.js',
  'test/integration/chaos.test.js',
  'test/integration/defects.test.js',
  'test/integration/classroom.test.js',
].map((file) => path.join(projectDir, 'dist', file));

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...args], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const options = process.argv.slice(2);
  const unit = await run(['--experimental-test-isolation=none', ...options, ...unitTestFiles()]);
  const stackFiles = stackTestFiles();
  const ordered = [...longestFirst.filter((file) => stackFiles.includes(file)), ...stackFiles.filter((file) => !longestFirst.includes(file))];
  const stack = await run([`--test-concurrency=${stackConcurrency}`, ...options, ...ordered]);
  process.exitCode = unit || stack;
}

if (require.main === module) void main();
