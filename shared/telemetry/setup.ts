import path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type * as AzureFunctionsOpenTelemetry from '@azure/functions-opentelemetry-instrumentation';
import type * as AzureIdentity from '@azure/identity';
import type * as AzureMonitorOpenTelemetry from '@azure/monitor-opentelemetry';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createSpanFileExporter } from './spanFile';

/**
 * Turns telemetry on, once per process, before the function files load:
 * - in Azure, with APPLICATIONINSIGHTS_CONNECTION_STRING: the Azure Monitor OpenTelemetry distro
 *   (traces, metrics and logs to Application Insights) and the Azure Functions instrumentation, which joins
 *   each invocation to the host's trace (host.json `"telemetryMode": "OpenTelemetry"`);
 * - locally, with LOCAL_TRACES_FILE: spans as JSON lines in that file (spanFile.ts), nothing on the console;
 * - otherwise off: the OpenTelemetry API's no-op tracer and meters, which cost next to nothing.
 */

export interface TelemetrySettings {
  readonly connectionString?: string;
  /** `Authorization=AAD` (and the identity's ClientId): Application Insights with local auth off takes Entra tokens only. */
  readonly authenticationString?: string;
  readonly localTracesFile?: string;
  readonly localTracesMaxBytes: number;
}

export type TelemetryMode = 'off' | 'azure-monitor' | 'local-file';

export interface Telemetry {
  readonly mode: TelemetryMode;
  /** Where local spans go (local-file only), absolute. */
  readonly file?: string;
  /** Sends what is buffered and stops; the app's terminate hook calls it. */
  shutdown(): Promise<void>;
}

let started: Telemetry | undefined;

export function startTelemetry(settings: TelemetrySettings): Telemetry {
  if (started) return started;
  if (settings.connectionString) started = startAzureMonitor(settings.connectionString, settings.authenticationString);
  else if (settings.localTracesFile) started = startLocalTracing(createSpanFileExporter({ file: path.resolve(settings.localTracesFile), maxBytes: settings.localTracesMaxBytes }), path.resolve(settings.localTracesFile));
  else started = { mode: 'off', shutdown: () => Promise.resolve() };
  return started;
}

/** Spans to an exporter of our choosing (the local file, or a test's in-memory exporter); no meters. */
export function startLocalTracing(exporter: SpanExporter, file?: string): Telemetry {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    mode: 'local-file',
    ...(file ? { file } : {}),
    async shutdown() {
      await provider.shutdown();
    },
  };
}

function clientIdOf(authenticationString: string | undefined): string | undefined {
  return /(?:^|;)\s*ClientId=([^;]+)/i.exec(authenticationString ?? '')?.[1]?.trim();
}

function startAzureMonitor(connectionString: string, authenticationString: string | undefined): Telemetry {
  // Loaded only here: the distro brings in its instrumentations, which local runs and tests do not need.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { useAzureMonitor, shutdownAzureMonitor } = require('@azure/monitor-opentelemetry') as typeof AzureMonitorOpenTelemetry;
  const { AzureFunctionsInstrumentation } = require('@azure/functions-opentelemetry-instrumentation') as typeof AzureFunctionsOpenTelemetry;
  const { ManagedIdentityCredential } = require('@azure/identity') as typeof AzureIdentity;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const aad = /Authorization=AAD/i.test(authenticationString ?? '');
  const clientId = clientIdOf(authenticationString);
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      ...(aad ? { credential: clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential() } : {}),
    },
    // Every job's trace whole: the default rate limit (5 traces a second) would drop parts of busy minutes
    // unevenly; ingestion is priced in docs/costs.md.
    samplingRatio: 1,
    tracesPerSecond: 0,
    instrumentationOptions: {
      // Outgoing HTTP spans would record full URLs, and a school's callbackUrl may hold a token in its
      // query; our own spans cover the calls that matter. The Azure SDK's spans redact query strings.
      http: { enabled: false },
      azureSdk: { enabled: true },
    },
  });
  // Patches @azure/functions when the function files require it, so this runs before any of them.
  new AzureFunctionsInstrumentation();
  return { mode: 'azure-monitor', shutdown: () => shutdownAzureMonitor() };
}
