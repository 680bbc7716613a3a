import path from 'node:path';
import { startFunctionsHost } from './host/functionsHost';
import { applyLocalSettings } from './settings';

/**
 * Entry point of the local Functions host:
 * `node dist/local/host.js [--port 7071] [--lease-seconds 30] [--ignore-local-settings]`.
 * Settings come from the environment and local.settings.json, as with Core Tools' `func start`; tests pass
 * --ignore-local-settings so that a developer's own file cannot change what they test.
 */
const projectDir = path.resolve(__dirname, '..', '..');

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  if (!process.argv.includes('--ignore-local-settings')) applyLocalSettings(projectDir);
  const port = Number(argument('port') ?? process.env['FUNCTIONS_HTTPWORKER_PORT'] ?? 7071);
  const leaseInSeconds = Number(argument('lease-seconds') ?? 30);
  const host = await startFunctionsHost({ projectDir, port, leaseInSeconds });
  console.log(`Functions host ready on ${host.url} (${host.functions.join(', ')})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Functions host stopping (${signal})…`);
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`Functions host failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
