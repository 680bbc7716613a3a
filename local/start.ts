import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../shared/config/config';
import { consoleLogger } from '../shared/logger';
import { defaultModelName } from '../shared/provider/modelCatalogue';
import { deleteExpiredJobs } from '../shared/jobs/retention';
import { createServices } from '../shared/services';
import { startAzurite, type Azurite } from './azurite/azurite';
import { startImageService, type FaultRule, type ImageService } from './imageService/imageService';
import { applyLocalSettings, exampleSettingsFileName, settingsFileName } from './settings';

/**
 * `npm start`: the whole service on one machine. Starts Azurite when the settings use development storage,
 * the local image service when the image endpoint is on this machine, and the local Functions host on
 * port 7071. Point the settings at Azure Storage or Azure OpenAI and those parts are simply not started.
 * Ctrl-C stops everything.
 */
const projectDir = path.resolve(__dirname, '..', '..');

function localPort(urlText: string | undefined): number | undefined {
  if (!urlText) return undefined;
  const url = new URL(urlText);
  if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return undefined;
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

async function main(): Promise<void> {
  const settingsFile = path.join(projectDir, settingsFileName);
  if (!existsSync(settingsFile)) {
    copyFileSync(path.join(projectDir, exampleSettingsFileName), settingsFile);
    console.log(`Created ${settingsFileName} from ${exampleSettingsFileName} (git-ignored; edit it to change settings).`);
  }
  applyLocalSettings(projectDir);
  // Settings added to the example since this local.settings.json was made: use the example's values.
  const example = JSON.parse(readFileSync(path.join(projectDir, exampleSettingsFileName), 'utf8')) as { Values: Record<string, string> };
  const added = Object.keys(example.Values).filter((key) => process.env[key] === undefined);
  for (const key of added) process.env[key] = example.Values[key];
  if (added.length > 0) console.log(`Using ${exampleSettingsFileName}'s values for settings missing from ${settingsFileName}: ${added.join(', ')}`);
  const env = process.env;

  let azurite: Azurite | undefined;
  if (env['AzureWebJobsStorage'] === 'UseDevelopmentStorage=true') {
    azurite = await startAzurite({ location: path.join(projectDir, '.azurite'), blobPort: 10000, queuePort: 10001, tablePort: 10002, quiet: true });
    console.log(`Azurite: blob ${azurite.blobUrl}, queue ${azurite.queueUrl} (data in .azurite/)`);
  }

  let imageService: ImageService | undefined;
  const imagePort = localPort(env['IMAGE_PROVIDER'] === 'openai' ? env['OPENAI_BASE_URL'] : env['AZURE_OPENAI_ENDPOINT']);
  if (imagePort !== undefined) {
    imageService = await startImageService({
      port: imagePort,
      defaultModel: env['IMAGE_MODEL'] ?? defaultModelName,
      latencyMs: Number(env['LOCAL_IMAGE_LATENCY_MS'] ?? 0),
      rules: JSON.parse(env['LOCAL_IMAGE_RULES'] ?? '[]') as FaultRule[],
    });
    console.log(`Local image service (placeholder PNGs): ${imageService.url}`);
  }

  // Azure's lifecycle rule deletes old jobs and images; locally this does, at start and every hour.
  const services = createServices(loadConfig());
  const retention = () => {
    deleteExpiredJobs(services, consoleLogger).catch((error: unknown) => {
      console.error(`Retention cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
  retention();
  const retentionTimer = setInterval(retention, 60 * 60_000);
  retentionTimer.unref();

  const port = Number(env['FUNCTIONS_PORT'] ?? 7071);
  const host = spawn(process.execPath, ['--enable-source-maps', path.join(__dirname, 'host.js'), '--port', String(port)], {
    stdio: 'inherit',
    env,
  });

  let stopping = false;
  async function stopAll(exitCode: number): Promise<never> {
    stopping = true;
    if (host.exitCode === null) {
      await new Promise<void>((resolve) => {
        host.once('exit', () => resolve());
        host.kill('SIGTERM');
      });
    }
    await imageService?.close();
    await azurite?.stop();
    process.exit(exitCode);
  }
  host.once('exit', (code) => {
    if (!stopping) {
      console.error(`The Functions host exited (code ${code}); stopping.`);
      void stopAll(code ?? 1);
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      console.log('\nStopping…');
      void stopAll(0);
    });
  }
  console.log(`\nEdu4All Image Jobs: http://localhost:${port}/api  (health: http://localhost:${port}/api/health). Ctrl-C stops.\n`);
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
