import { runChaos } from '../local/harness/chaos';

/**
 * `npm run chaos [-- --jobs 300 --hosts 2 --kill-every-ms 3000 --seed 1]`: the full chaos run. Prints one
 * summary line (jobs, faults, kills, lost, duplicates, stuck) and exits non-zero unless all is well.
 */
function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

runChaos({
  jobs: option('jobs', 300),
  hosts: option('hosts', 2),
  killEveryMs: option('kill-every-ms', 3000),
  restartAzurite: true,
  seed: option('seed', Date.now() % 100_000),
  log: (line) => console.error(line),
}).then(
  (summary) => {
    for (const problem of summary.unexplained.slice(0, 20)) console.error(`  ${problem}`);
    console.log(summary.line);
    process.exit(summary.ok ? 0 : 1);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
