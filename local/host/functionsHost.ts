import { installFunctionsCore } from './functionsCore';
import { loadEntryPoints } from './entryPoints';
import { readHostSettings } from './hostConfig';
import { createHttpRoute, startHttpServer, type HttpRoute } from './httpTrigger';
import { createInvoke, withTimeout, type Invoke } from './invoke';
import { writeLog } from './log';
import { createQueueOutputs, SharedQueueWatcher } from './queueOutput';
import { createQueueListener, drainTimeoutInMs, type QueueListener } from './queueTrigger';
import { startTimerTrigger, type TimerTrigger } from './timerTrigger';
import { triggerBindingOf } from './triggerBinding';

/**
 * A small stand-in for the Azure Functions host (Core Tools cannot be installed here). It loads the app's
 * entry points named by package.json `main`, receives their registrations through @azure/functions-core,
 * and runs each function by its trigger: HTTP (httpTrigger.ts), queue (queueTrigger.ts) and timer
 * (timerTrigger.ts), every invocation going through the worker's protocol (invoke.ts). Queue output bindings
 * are sent after the function returns, and wake this host's listener on that queue (queueOutput.ts).
 */

export interface FunctionsHostOptions {
  readonly projectDir: string;
  readonly port: number;
  readonly hostname?: string;
  /**
   * How long a received message stays invisible while its function runs; renewed at half-time. Azure uses
   * 10 minutes; a shorter lease lets a crashed local host's messages come back sooner.
   */
  readonly leaseInSeconds?: number;
  readonly env?: Record<string, string | undefined>;
}

export interface FunctionsHost {
  readonly url: string;
  readonly functions: readonly string[];
  stop(): Promise<void>;
}

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const env = options.env ?? process.env;
  const settings = readHostSettings(options.projectDir, env);
  const registry = installFunctionsCore((level, message) => writeLog('host', level, message));
  loadEntryPoints(options.projectDir);
  for (const hook of registry.hooks.appStart) await hook({ hookData: {}, appHookData: {}, functionAppDirectory: options.projectDir });

  const watcher = new SharedQueueWatcher();
  const queueOutputs = new Map<string, NonNullable<ReturnType<typeof createQueueOutputs>>>();
  for (const fn of registry.functions.values()) {
    const send = createQueueOutputs(fn, { env, settings: settings.queues, watcher });
    if (send) queueOutputs.set(fn.metadata.name, send);
  }
  const invokeFunction = createInvoke(registry, settings.functionTimeoutInMs);
  // The outputs are sent before the trigger sees the response, so an HTTP answer means they are on the queue.
  const invoke: Invoke = async (fn, request) => {
    const response = await invokeFunction(fn, request);
    await queueOutputs.get(fn.metadata.name)?.(response);
    return response;
  };
  const routes: HttpRoute[] = [];
  const listeners: QueueListener[] = [];
  const timers: TimerTrigger[] = [];
  const leaseInSeconds = options.leaseInSeconds ?? 30;
  for (const fn of registry.functions.values()) {
    // Azure's app setting AzureWebJobs.<name>.Disabled: the function is loaded but its trigger never fires
    // (tests use it to make one host submit and another work).
    if (/^(true|1)$/i.test(env[`AzureWebJobs.${fn.metadata.name}.Disabled`] ?? '')) {
      writeLog('host', 'information', `Function ${fn.metadata.name} is disabled (AzureWebJobs.${fn.metadata.name}.Disabled).`);
      continue;
    }
    const trigger = triggerBindingOf(fn, env);
    const type = String(trigger.binding.type).toLowerCase();
    if (type === 'httptrigger') {
      routes.push(createHttpRoute(fn, trigger, settings.routePrefix));
    } else if (type === 'queuetrigger') {
      const listener = createQueueListener(fn, trigger, { env, settings: settings.queues, leaseInSeconds, invoke });
      watcher.register(listener.queueName, listener);
      listeners.push(listener);
    } else if (type === 'timertrigger') {
      timers.push(startTimerTrigger(fn, trigger, invoke));
    } else {
      writeLog('host', 'warning', `Function ${fn.metadata.name} has a ${String(trigger.binding.type)} trigger, which this local host does not run.`);
    }
  }

  const server = await startHttpServer(routes, invoke, { port: options.port, hostname: options.hostname, routePrefix: settings.routePrefix });
  const runs = listeners.map((listener) => listener.run());

  return {
    url: server.url,
    functions: [...registry.functions.keys()],
    async stop() {
      for (const timer of timers) timer.stop();
      server.close();
      await Promise.all(listeners.map((listener) => listener.stop()));
      await withTimeout(Promise.allSettled(runs), drainTimeoutInMs, 'stopping the queue listeners').catch(() => undefined);
      for (const hook of registry.hooks.appTerminate) await hook({ hookData: {}, appHookData: {} });
      server.closeAllConnections();
    },
  };
}
