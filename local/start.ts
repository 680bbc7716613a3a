import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../shared/config/config';
import { defaultModelName } from '../shared/models/modelCatalogue';
import { createServices, type Services } from '../functions/lib/services';
import { authenticateTenant, localDevelopmentKey } from '../shared/config/tenants';
import { createSession, sessionLifetime } from '../shared/sessions/sessions';
import { startAzurite, type Azurite } from './azurite/azurite';
import { startImageService, type FaultRule, type ImageService } from './imageService/imageService';
import { startContentSafetyService, type ContentSafetyService } from './contentSafety/contentSafetyService';
import { applyLocalSettings, exampleSettingsFileName, settingsFileName } from './settings';
import { localImageDeployments } from './imageDeployments';

/**
 * `npm start`: the whole service on one machine. Starts Azurite when the settings use development storage,
 * the local image service when the image endpoint is on this machine, the local Content Safety stand-in
 * when CONTENT_SAFETY_ENDPOINT is on this machine, and the local Functions host on
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

/** Says which port is taken and what to do, instead of a bare EADDRINUSE from deep inside a child. */
async function requireFreePort(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is in use. Another npm start may still be running: stop it (Ctrl-C in its terminal), or find the process with \`lsof -i :${port}\`.`
            : `port ${port} (${what}) cannot be used: ${error.message}`,
        ),
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** What npm start started, so every way out stops all of it. */
const started: { azurite?: Azurite; imageServices: ImageService[]; contentSafety?: ContentSafetyService; host?: ChildProcess } = { imageServices: [] };

async function stopStarted(): Promise<void> {
  const { host } = started;
  if (host && host.exitCode === null && host.signalCode === null) {
    await new Promise<void>((resolve) => {
      host.once('exit', () => resolve());
      host.kill('SIGTERM');
    });
  }
  await Promise.all(started.imageServices.map((service) => service.close().catch(() => undefined)));
  await started.contentSafety?.close().catch(() => undefined);
  await started.azurite?.stop().catch(() => undefined);
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

  // Everything is checked before anything starts, so a bad setting or a taken port leaves nothing running.
  const imagePort = localPort(env['IMAGE_PROVIDER'] === 'openai' ? env['OPENAI_BASE_URL'] : env['AZURE_OPENAI_ENDPOINT']);
  const pool = imagePort === undefined ? undefined : localImageDeployments(env, imagePort);
  if (pool?.setting) env['IMAGE_DEPLOYMENTS'] = pool.setting;
  const config = loadConfig();
  let rules: FaultRule[];
  try {
    rules = JSON.parse(env['LOCAL_IMAGE_RULES'] ?? '[]') as FaultRule[];
  } catch {
    throw new Error('LOCAL_IMAGE_RULES must be a JSON array of fault rules (see local/imageService/faults.ts).');
  }
  const useAzurite = env['AzureWebJobsStorage'] === 'UseDevelopmentStorage=true';
  const contentSafetyPort = localPort(env['CONTENT_SAFETY_ENDPOINT']);
  const port = Number(env['FUNCTIONS_PORT'] ?? 7071);
  if (useAzurite) {
    for (const [azuritePort, what] of [[10000, 'Azurite blob'], [10001, 'Azurite queue'], [10002, 'Azurite table']] as const) await requireFreePort(azuritePort, what);
  }
  for (const [index, imageServicePort] of (pool?.ports ?? []).entries()) await requireFreePort(imageServicePort, `local image service ${index + 1}`);
  if (contentSafetyPort !== undefined) await requireFreePort(contentSafetyPort, 'the local Content Safety stand-in');
  await requireFreePort(port, 'the Functions host; set FUNCTIONS_PORT to use another');

  if (useAzurite) {
    started.azurite = await startAzurite({ location: path.join(projectDir, '.azurite'), blobPort: 10000, queuePort: 10001, tablePort: 10002, quiet: true });
    console.log(`Azurite: blob ${started.azurite.blobUrl}, queue ${started.azurite.queueUrl} (data in .azurite/)`);
  }
  for (const imageServicePort of pool?.ports ?? []) {
    const service = await startImageService({
      port: imageServicePort,
      defaultModel: env['IMAGE_MODEL'] ?? defaultModelName,
      latencyMs: Number(env['LOCAL_IMAGE_LATENCY_MS'] ?? 0),
      rules,
      ...(pool?.requestsPerMinute ? { requestsPerMinute: pool.requestsPerMinute } : {}),
    });
    started.imageServices.push(service);
    console.log(`Local image service (placeholder pictures${pool?.requestsPerMinute ? `, ${pool.requestsPerMinute} requests a minute` : ''}): ${service.url}`);
  }
  if (pool?.setting) console.log(`A pool of ${pool.ports.length} local deployments (LOCAL_IMAGE_DEPLOYMENTS): GET /api/health shows each one's state.`);
  if (contentSafetyPort !== undefined) {
    started.contentSafety = await startContentSafetyService({ port: contentSafetyPort });
    console.log(`Local Content Safety stand-in (a simple word list, NOT the real classifier): ${started.contentSafety.url}`);
  } else if (!config.contentSafety) {
    console.warn('CONTENT_SAFETY_ENDPOINT is empty: the classifier layer is off (only the word screen and the provider\'s filter check prompts). Azure requires it.');
  }

  // Retention runs in the host's sweepJobs timer (SWEEP_SCHEDULE), locally as in Azure.
  const services = createServices(config);

  const host = spawn(process.execPath, ['--enable-source-maps', path.join(__dirname, 'host.js'), '--port', String(port)], { stdio: 'inherit', env });
  started.host = host;

  let stopping = false;
  async function stopAll(exitCode: number): Promise<never> {
    stopping = true;
    await stopStarted();
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
  console.log(`\nEdu4All Image Jobs: http://localhost:${port}/api  (health: http://localhost:${port}/api/health). Ctrl-C stops.`);
  const traces = env['LOCAL_TRACES_FILE'];
  console.log(
    traces
      ? `Traces: ${path.resolve(projectDir, traces)} (one JSON line per span); a job's waterfall: npm run ops -- trace <jobId>\n`
      : 'Traces: off (set LOCAL_TRACES_FILE to keep them, e.g. .traces/spans.jsonl)\n',
  );
  const studio = await demoStudioLink(services, port);
  if (studio) console.log(`Studio for a demo student (open in a browser; valid ${demoSessionMinutes / 60} hours):\n  ${studio}\n`);
}

/** Long enough for a day of trying things; the longest a session may live. */
const demoSessionMinutes = sessionLifetime.maxMinutes;

/**
 * A studio link for a demo student of the tenant that holds the local development key, as an LMS would
 * open one (POST /api/sessions): made here with the same code, once the host answers, so the link is the
 * last thing printed. Nothing when the settings have no such tenant.
 */
async function demoStudioLink(services: Services, port: number): Promise<string | undefined> {
  const tenant = authenticateTenant(services.config.tenants, localDevelopmentKey);
  if (!tenant) return undefined;
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`http://localhost:${port}/api/health`).then(() => true, () => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const session = createSession(services, tenant, { user: 'demo-student', metadata: { classId: 'demo-class' }, lifetimeMinutes: demoSessionMinutes }, (token) => `http://localhost:${port}/api/studio#session=${token}`);
  return session.studioUrl;
}

main().catch(async (error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopStarted();
  process.exit(1);
});
