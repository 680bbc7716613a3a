import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * host.json as the Functions host reads it, including overrides from app settings named
 * `AzureFunctionsJobHost__path__to__setting` (how Azure lets an environment change host.json values;
 * the tests use it to shorten retry timings).
 */

export interface QueueSettings {
  readonly batchSize: number;
  readonly newBatchThreshold: number;
  readonly maxPollingIntervalInMs: number;
  readonly visibilityTimeoutInMs: number;
  readonly maxDequeueCount: number;
  readonly messageEncoding: 'base64' | 'none';
}

export interface HostSettings {
  readonly routePrefix: string;
  readonly functionTimeoutInMs: number;
  readonly queues: QueueSettings;
}

type Json = { [key: string]: unknown };

/** Parses a .NET TimeSpan as host.json uses it: "hh:mm:ss", "d.hh:mm:ss" or "hh:mm:ss.fff". */
export function parseTimeSpan(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!match) throw new Error(`Not a TimeSpan (hh:mm:ss): ${value}`);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = '0'] = match;
  return (
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    Math.round(Number(`0.${fraction}`) * 1000)
  );
}

function applyOverrides(json: Json, env: Record<string, string | undefined>): Json {
  const prefix = 'AzureFunctionsJobHost__';
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const keys = name.slice(prefix.length).split('__');
    let node: Json = json;
    keys.forEach((key, i) => {
      // host.json keys are case-insensitive; keep the casing of an existing key.
      const existing = Object.keys(node).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
      if (i === keys.length - 1) {
        node[existing] = value;
      } else {
        if (typeof node[existing] !== 'object' || node[existing] === null) node[existing] = {};
        node = node[existing] as Json;
      }
    });
  }
  return json;
}

function get(json: Json, ...keys: string[]): unknown {
  let node: unknown = json;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null) return undefined;
    const record = node as Json;
    const found = Object.keys(record).find((k) => k.toLowerCase() === key.toLowerCase());
    node = found === undefined ? undefined : record[found];
  }
  return node;
}

export function readHostSettings(projectDir: string, env: Record<string, string | undefined> = process.env): HostSettings {
  const json = applyOverrides(JSON.parse(readFileSync(path.join(projectDir, 'host.json'), 'utf8')) as Json, env);
  const number = (value: unknown, fallback: number) => (value === undefined ? fallback : Number(value));
  const timeSpan = (value: unknown, fallback: number) => (typeof value === 'string' ? parseTimeSpan(value) : fallback);
  const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);
  // Defaults are the Azure Functions host's own (Consumption plan).
  const batchSize = Math.min(32, number(get(json, 'extensions', 'queues', 'batchSize'), 16));
  const encoding = text(get(json, 'extensions', 'queues', 'messageEncoding'), 'base64').toLowerCase();
  return {
    routePrefix: text(get(json, 'extensions', 'http', 'routePrefix'), 'api').replace(/^\/+|\/+$/g, ''),
    functionTimeoutInMs: timeSpan(get(json, 'functionTimeout'), 5 * 60_000),
    queues: {
      batchSize,
      newBatchThreshold: number(get(json, 'extensions', 'queues', 'newBatchThreshold'), Math.floor(batchSize / 2)),
      maxPollingIntervalInMs: timeSpan(get(json, 'extensions', 'queues', 'maxPollingInterval'), 60_000),
      visibilityTimeoutInMs: timeSpan(get(json, 'extensions', 'queues', 'visibilityTimeout'), 0),
      maxDequeueCount: number(get(json, 'extensions', 'queues', 'maxDequeueCount'), 5),
      messageEncoding: encoding === 'none' ? 'none' : 'base64',
    },
  };
}
