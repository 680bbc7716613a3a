import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { startSharedAzurite } from './harness/sharedAzurite';
import { stackTestFiles, unitTestFiles } from './unitTests';

/**
 * `npm test` (after the build): every test, in two runs. First the unit layer in one Node process, as
 * `npm run test:unit` runs it (local/unitTests.ts); then the files that start Azurite, stand-ins, hosts or
 * processes, one Node process each and several at once. Options (`--test-name-pattern=…`,
 * `--test-concurrency=1`) are passed on to both runs.
 *
 * Several stack files at once: much of a stack file's time is waiting (on a host's queue polling, a
 * stand-in's latency, a message's lease, a retry's back-off, a sleep before checking nothing happened), and
 * each starts its own stand-ins and hosts on free ports, with a storage account of its own in the run's one
 * Azurite (harness/sharedAzurite.ts), so files share nothing but that process. node --test's default is one
 * file at a time on a 2-core machine (cores - 1).
 */

const projectDir = path.resolve(__dirname, '..', '..');

/** Two stack files per core: the rest of their time the bursts (60 jobs, each with previews) keep the cores busy. */
const stackConcurrency = Math.max(2, availableParallelism() * 2);

/**
 * The longest stack files, longest first (measured four at a time, December 2026: 60-100 s each), so that they
 * start at once and no long file is left to run alone at the end. The rest follow in name order.
 */
const longestFirst = [
  'test/integration/privacyErasureCrash.test.js',
  'test/integration/chaos.test.js',
  'test/integration/reliability.test.js',
  'test/integration/twoHosts.test.js',
  'test/integration/outputCheck.test.js',
  'test/integration/pipeline.test.js',
  'test/integration/classroom.test.js',
  'test/integration/defects.test.js',
].map((file) => path.join(projectDir, 'dist', file));

/** Accounts in the run's Azurite: one per stack a test starts (about 40 a run), with room to spare. */
const storageAccounts = 200;

function run(args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const options = process.argv.slice(2);
  const unit = await run(['--experimental-test-isolation=none', ...options, ...unitTestFiles()]);
  const stackFiles = stackTestFiles();
  const ordered = [...longestFirst.filter((file) => stackFiles.includes(file)), ...stackFiles.filter((file) => !longestFirst.includes(file))];
  const azurite = await startSharedAzurite(storageAccounts);
  try {
    const stack = await run([`--test-concurrency=${stackConcurrency}`, ...options, ...ordered], azurite.env);
    process.exitCode = unit || stack;
  } finally {
    await azurite.stop();
  }
}

if (require.main === module) void main();
