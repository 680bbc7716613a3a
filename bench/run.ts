import os from 'node:os';
import { createBenchRun, writeReport, type BenchRun } from './report';
import { classroomSection } from './sections/classroom';
import { editMemorySection } from './sections/editMemory';
import { memorySection } from './sections/memory';
import { overheadSection } from './sections/overhead';
import { quotaSection } from './sections/quota';
import { scaleOutSection } from './sections/scaleOut';
import { statusSection } from './sections/status';
import { submitSection } from './sections/submit';
import { tracingSection } from './sections/tracing';

/**
 * `npm run bench` (`npm run bench -- --quick`: the same sections, smaller, in about a minute).
 *
 * Each section starts its own stack (Azurite, the local image service, local Functions hosts) and sets every
 * figure beside a baseline measured in the same run on the same Azurite, as a ratio, so the figures travel
 * between machines better than absolute numbers. Writes docs/benchmarks.md. Nothing here asserts timings.
 */

/** The sections in the order they run; `--only=submit,status` names some of them. */
const sections: ReadonlyArray<readonly [string, (run: BenchRun) => Promise<void>]> = [
  ['submit', submitSection],
  ['status', statusSection],
  ['tracing', tracingSection],
  ['overhead', overheadSection],
  ['quota', quotaSection],
  ['scale-out', scaleOutSection],
  ['memory', memorySection],
  ['edit-memory', editMemorySection],
  ['classroom', classroomSection],
];

async function main(): Promise<void> {
  const startedAt = new Date();
  const quick = process.argv.includes('--quick');
  console.log(`npm run bench${quick ? ' -- --quick' : ''}: Node ${process.version}, ${os.cpus().length} cores`);
  const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
  const run = createBenchRun(quick, only !== undefined);
  for (const [name, section] of sections) if (!only || only.includes(name)) await section(run);
  writeReport(run, startedAt, (Date.now() - startedAt.getTime()) / 1000);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
